"""CarriersApi: third-party carriers' status callbacks (Dada), which move the orders they deliver."""

from paotui.carriers.api import router
from paotui.platform.http import api_handler, create_app

app = create_app(router)
handler = api_handler(app)
