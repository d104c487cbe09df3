"""OrdersApi: intake of orders and errands, queries, cancellation, status transitions and their proof photos;
ratings and complaints; a customer's delivery retry and coupons; a kitchen ticket printed again."""

from paotui.coupons.api import router as coupons_router
from paotui.orders.api import router
from paotui.orders.exceptions_api import router as exceptions_router
from paotui.orders.feedback_api import router as feedback_router
from paotui.orders.proof_api import router as proof_router
from paotui.platform.http import api_handler, create_app
from paotui.printing.ticket_api import router as ticket_router

app = create_app(router, proof_router, feedback_router, exceptions_router, coupons_router, ticket_router)
handler = api_handler(app)
