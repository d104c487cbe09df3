"""AuthApi: SMS codes, phone and WeChat login, phone binding, token refresh and logout; the address book."""

from paotui.accounts.address_api import router as address_router
from paotui.accounts.api import router
from paotui.platform.http import api_handler, create_app

app = create_app(router, address_router)
handler = api_handler(app)
