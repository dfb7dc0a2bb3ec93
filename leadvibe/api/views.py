from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from leadvibe.health import service_checks
from leadvibe.metrics import render_latest


def _wants_html(request) -> bool:
    return "text/html" in request.headers.get("Accept", "")


@require_GET
def root(request):
    if _wants_html(request):
        return HttpResponse(render_to_string("leadvibe/index.html", {"page": "index"}))
    return JsonResponse({"status": "ok"})


@require_GET
def home(request):
    if _wants_html(request):
        return HttpResponse(render_to_string("leadvibe/index.html", {"page": "home"}))
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
