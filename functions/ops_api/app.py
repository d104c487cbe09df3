"""OpsApi: operators' incidents, listed and resolved (admins only)."""

from paotui.ops.api import router
from paotui.platform.http import api_handler, create_app

app = create_app(router)
handler = api_handler(app)
