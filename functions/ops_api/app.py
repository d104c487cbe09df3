"""OpsApi: operators' incidents, listed and resolved, and the platform's analytics (admins only)."""

from paotui.analytics.api import admin_router as analytics_router
from paotui.ops.api import router
from paotui.platform.http import api_handler, create_app

app = create_app(router, analytics_router)
handler = api_handler(app)
