from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.http import require_GET

from leadvibe.health import service_checks
from leadvibe.metrics import render_latest


def _wants_html(request) -> bool:
    return "text/html" in request.headers.get("Accept", "")


def _admin_app_redirect(request) -> HttpResponseRedirect:
    """Browsers go to the admin app; the query string goes along (e.g. the Slack callback's
    outcome, which it reports to `/home`)."""
    query = request.META.get("QUERY_STRING", "")
    return HttpResponseRedirect(f"/app/?{query}" if query else "/app/")


@require_GET
def root(request):
    if _wants_html(request):
        return _admin_app_redirect(request)
    return JsonResponse({"status": "ok"})


@require_GET
def home(request):
    if _wants_html(request):
        return _admin_app_redirect(request)
    return JsonResponse({"status": "ok", "page": "home"})


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request):
    checks = service_checks()
    if all(state == "ok" for state in checks.values()):
        return JsonResponse({"status": "ok", "checks": checks})
    return JsonResponse(
        {"status": 503, "error": "Service Unavailable", "checks": checks}, status=503
    )


@require_GET
def metrics(request):
    body, content_type = render_latest()
    return HttpResponse(body, content_type=content_type)
