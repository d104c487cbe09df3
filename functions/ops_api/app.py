"""OpsApi: operators' incidents, listed and resolved, the platform's analytics, and merchants' accounts, payouts and
commission rates (admins only)."""

from paotui.analytics.api import admin_router as analytics_router
from paotui.ops.api import router
from paotui.platform.http import api_handler, create_app
from paotui.settlement.api import admin_router as settlement_router

app = create_app(router, analytics_router, settlement_router)
handler = api_handler(app)
