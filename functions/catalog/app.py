"""CatalogApi: browsing and quotes, the merchant console (with its alerts and analytics), delivery settings, the
shop's cloud printer, opening shops (applications, registrations, licences), and a shop's settlement statement."""

from paotui.analytics.api import merchant_router as analytics_router
from paotui.catalog.api import router
from paotui.catalog.delivery_api import router as delivery_router
from paotui.catalog.licences_api import router as licences_router
from paotui.catalog.merchant_api import router as merchant_router
from paotui.catalog.onboarding_api import router as onboarding_router
from paotui.notify.console_api import router as alerts_router
from paotui.platform.http import api_handler, create_app
from paotui.printing.api import router as printer_router
from paotui.settlement.api import merchant_router as settlement_router

app = create_app(
    router,
    merchant_router,
    delivery_router,
    alerts_router,
    analytics_router,
    printer_router,
    onboarding_router,
    licences_router,
    settlement_router,
)
handler = api_handler(app)
