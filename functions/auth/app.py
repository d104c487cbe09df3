"""AuthApi: SMS one-time codes, phone login and WeChat login; each answers with an API token."""

from paotui.accounts.api import router
from paotui.platform.http import api_handler, create_app

app = create_app(router)
handler = api_handler(app)
