"""PaymentsApi: payment intents and providers' signed notify callbacks."""

from paotui.payments.api import router
from paotui.platform.http import api_handler, create_app

app = create_app(router)
handler = api_handler(app)
