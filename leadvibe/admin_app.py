"""The admin app (frontend/, built into `leadvibe/webroot/app/`) at `/app/`.

Whitenoise serves the bundle's files (`WHITENOISE_ROOT`); hashed assets are immutable, so
browsers keep them. Every other path under `/app/` is a client-side route: it answers the
app's `index.html`, never cached, so a new build reaches browsers on their next load. A
missing asset stays a 404: a script tag must not get HTML.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from leadvibe.api.errors import error_response

ASSETS_PREFIX = "assets/"


@require_GET
def admin_app_index(request: HttpRequest, client_path: str) -> HttpResponse | JsonResponse:
    if client_path.startswith(ASSETS_PREFIX):
        return error_response(404)
    try:
        page = settings.ADMIN_APP_INDEX.read_bytes()
    except FileNotFoundError:
        return error_response(
            503, "The admin app is not built: run `npm ci && npm run build` in frontend/"
        )
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
