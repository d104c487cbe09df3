"""ChannelsApi: orders that don't start in the mini-program: a merchant's phone and walk-in orders, Ele.me's pushes."""

from paotui.orders.channel_api import router
from paotui.platform.http import api_handler, create_app

app = create_app(router)
handler = api_handler(app)
