"""OrdersApi: intake of orders and errands, queries, cancellation and status transitions."""

from paotui.orders.api import router
from paotui.platform.http import api_handler, create_app

app = create_app(router)
handler = api_handler(app)
