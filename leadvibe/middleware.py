"""Platform middleware: request context and access log, body size limit, JSON errors, metrics,
path and query validation, security headers."""

import logging
import re
import time
import uuid
from urllib.parse import parse_qsl, unquote_to_bytes, urlsplit

from django.conf import settings
from django.core.exceptions import RequestDataTooBig

from leadvibe.api.errors import error_response
from leadvibe.logging import request_id_var
from leadvibe.metrics import HTTP_REQUESTS
from leadvibe.ratelimit import address_key, address_policy, rate_limit_check, rate_limit_headers

access_logger = logging.getLogger("leadvibe.access")

_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    """Gives each request an id (the client's `X-Request-ID` when sane) and logs one line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        client_id = request.headers.get("X-Request-ID", "")
        request.id = client_id if _CLIENT_REQUEST_ID.match(client_id) else uuid.uuid4().hex
        token = request_id_var.set(request.id)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.id
            access_logger.info(
                "request finished",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


class HttpMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        HTTP_REQUESTS.labels(code=str(response.status_code), method=request.method).inc()
        return response


class JsonErrorMiddleware:
    """Last line of defence for the error format: any error response that is not JSON
    (Django's own 404/405/500 pages, an empty 405 from a plain view) is replaced."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            replacement = error_response(response.status_code)
            for header, value in response.items():
                if header.lower() not in ("content-type", "content-length"):
                    replacement[header] = value
            return replacement
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig):
            return error_response(413, "Request body too large")
        return None


def _is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


class BodySizeLimitMiddleware:
    """Refuses bodies over the limit from their Content-Length, before reading them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.REQUEST_BODY_LIMITS_BY_PATH.get(
            request.path_info, settings.MAX_REQUEST_BODY_BYTES
        )
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(400, "Invalid Content-Length header")
        if length > limit:
            return error_response(413, f"Request body too large: the limit is {limit} bytes")
        return self.get_response(request)


class ApiRateLimitMiddleware:
    """Rate-limit headers on every API response, and the per-address limit for callers that
    send no credentials (login, docs, unknown paths).

    Authenticated routes settle their limit in the view (their organization's bucket, see
    `RateLimitedViewMixin`); any other request that sent an Authorization header (refresh,
    an unknown path) spends the address's bucket afterwards, so it is counted and stamped.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.api_path = f"/{settings.API_PREFIX}"

    def __call__(self, request):
        if not request.path.startswith(self.api_path):
            return self.get_response(request)
        decision = None
        if "HTTP_AUTHORIZATION" not in request.META:
            decision = rate_limit_check(policy=address_policy(), key=address_key(request))
            if decision is not None and not decision.allowed:
                response = error_response(
                    429, f"Rate limit exceeded; retry in {decision.retry_after_seconds} s"
                )
                return _stamp(response, rate_limit_headers(decision, address_policy()))
        response = self.get_response(request)
        if getattr(request, "rate_limit_applied", False):
            return response
        if decision is None:
            decision = rate_limit_check(policy=address_policy(), key=address_key(request))
        if decision is not None:
            _stamp(response, rate_limit_headers(decision, address_policy()))
        return response


def _stamp(response, headers: dict[str, str]):
    for name, value in headers.items():
        response[name] = value
    return response


class PathAndQueryValidationMiddleware:
    """Refuses with 400, before any view runs, a path or query string that no view can use:

    - a NUL character, which PostgreSQL text cannot hold (every lookup by it would fail);
    - bytes that are not UTF-8 (overlong forms such as `%c0%80` included), which Django would
      otherwise turn into U+FFFD or `%XX` text silently;
    - in the query string, a `%` not followed by two hexadecimal digits.

    Other control characters pass: ingestion accepts them in lead ids, so paths must reach
    such leads. The bytes are checked as the client sent them: the request target the server
    passes on (gunicorn's RAW_URI, uWSGI's REQUEST_URI; ASGI's raw path) and QUERY_STRING.
    Without a raw target only NUL can be seen in the path (Django has already turned bytes
    that are not UTF-8 into `%XX` text).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path_problem = _text_problem("path", _raw_path(request))
        if path_problem:
            return error_response(400, path_problem)
        query = _raw_query(request)
        query_problem = _query_problem(query)
        if query_problem:
            return error_response(400, query_problem, _nul_parameters(query) or None)
        return self.get_response(request)


_INVALID_PERCENT_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def _raw_path(request) -> bytes:
    scope = getattr(request, "scope", None)
    if scope is not None:
        raw_path = scope.get("raw_path")
        return unquote_to_bytes(raw_path) if raw_path is not None else scope["path"].encode()
    target = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
    if target:
        path = urlsplit(target.encode("latin-1", errors="replace")).path
        return unquote_to_bytes(path)
    return request.path_info.encode(errors="surrogatepass")


def _raw_query(request) -> bytes:
    scope = getattr(request, "scope", None)
    if scope is None:
        return request.META.get("QUERY_STRING", "").encode("latin-1", errors="replace")
    return scope.get("query_string", b"")


def _query_problem(query: bytes) -> str | None:
    if _INVALID_PERCENT_ESCAPE.search(query):
        return "Invalid query string: '%' must be followed by two hexadecimal digits"
    return _text_problem("query string", unquote_to_bytes(query.replace(b"+", b" ")))


def _nul_parameters(query: bytes) -> dict[str, list[str]]:
    """`details` naming each query parameter whose name or value holds a NUL (written `\\0` in
    a name), as validation errors name the parameter at fault."""
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, errors="replace")
    return {
        name.replace("\x00", "\\0"): ["Must not contain a NUL character."]
        for name, value in pairs
        if "\x00" in name or "\x00" in value
    }


def _text_problem(where: str, raw: bytes) -> str | None:
    if b"\x00" in raw:
        return f"Invalid {where}: it contains a NUL character"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return f"Invalid {where}: it is not valid UTF-8"
    return None


class SecurityHeadersMiddleware:
    """The headers Django's SecurityMiddleware does not set: `Content-Security-Policy` on HTML
    pages (the docs page loads its script and styles from our static files, no inline
    script), and `Cache-Control: no-store` on responses that carry credentials or secrets
    (every path under `NO_STORE_PATH_PREFIXES`), so that no browser or proxy keeps a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        if request.path.startswith(settings.NO_STORE_PATH_PREFIXES):
            response["Cache-Control"] = "no-store"
        return response
