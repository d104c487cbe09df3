"""RidersApi: rider location and availability, offers and the answer to them."""

from paotui.platform.http import api_handler, create_app
from paotui.riders.api import router

app = create_app(router)
handler = api_handler(app)
