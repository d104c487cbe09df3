"""ConsoleSite: the merchant console's page and scripts (this folder), served from the API's own address."""

from pathlib import Path

from paotui.platform.http import api_handler, create_app
from paotui.platform.static_files import static_router

app = create_app(static_router("/console", Path(__file__).parent))
handler = api_handler(app)
