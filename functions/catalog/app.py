"""CatalogApi: merchants near a point, a merchant's products, and price quotes."""

from paotui.catalog.api import router
from paotui.platform.http import api_handler, create_app

app = create_app(router)
handler = api_handler(app)
