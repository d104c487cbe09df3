"""RidersApi: rider location and availability, offers and the answer to them, the route through their orders;
KPIs, earnings statements, incentive rules and the leaderboard; push devices and the inbox; onboarding (applications,
admins' riders), the tracks of orders on their way, and the cash riders take at doors and hand in."""

from paotui.platform.http import api_handler, create_app
from paotui.riders.api import router
from paotui.riders.earnings_api import router as earnings_router
from paotui.riders.onboarding_api import router as onboarding_router
from paotui.riders.push_api import router as push_router
from paotui.riders.route_api import router as route_router
from paotui.riders.tracks_api import router as tracks_router
from paotui.settlement.cash_api import router as cash_router

app = create_app(router, route_router, earnings_router, push_router, onboarding_router, tracks_router, cash_router)
handler = api_handler(app)
