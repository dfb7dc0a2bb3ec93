"""`GET /api/v1/stream`: the live stream of an OU (Server-Sent Events) for its members.

An async view: the ASGI stream process (README, "Live stream") keeps every open stream on one
event loop, without a thread or a database connection per client. The sync web server can run
the same view, but each open stream then holds one of its threads.

The member's JWT comes in the `Authorization` header or, since browsers' EventSource cannot
set headers, in the `access_token` query parameter; the OU is `ouId`, else the active OU
(`X-OU-ID`, `activeOu` cookie), checked like any OU a request names.
"""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET
from rest_framework.exceptions import APIException, NotAuthenticated

from leadvibe.api.errors import exception_error_response
from leadvibe.api.schema import error_responses
from leadvibe.exceptions import ApplicationError, PermissionDeniedError
from leadvibe.live import live_stream, live_stream_sync
from orgunits.api.base import NoActiveOUError, member_ou_access, requested_ou_id
from orgunits.authentication import CredentialBasicAuthentication, MemberJWTAuthentication
from orgunits.models import Member
from orgunits.selectors import OUAccess

_jwt = MemberJWTAuthentication()
_basic = CredentialBasicAuthentication()


@require_GET
async def live_stream_view(request):
    served_async = isinstance(request, ASGIRequest)
    # Under ASGI the lookup runs on the shared thread pool, not in this request's own thread:
    # an open stream keeps that thread, and a database connection opened in it, for its whole
    # life, and a burst of reconnecting clients would open as many connections at once.
    lookup = (
        sync_to_async(_stream_access_on_pool, thread_sensitive=False)
        if served_async
        else sync_to_async(stream_access)
    )
    try:
        member, access = await lookup(request)
    except (ApplicationError, APIException) as exc:
        response = exception_error_response(exc)
        if response.status_code == 401:
            response["WWW-Authenticate"] = _jwt.authenticate_header(request)
        return response
    # For the audit log.
    request.user, request.ou = member, access.unit
    stream = live_stream if served_async else live_stream_sync
    response = StreamingHttpResponse(
        stream(access.unit.id, heartbeat_seconds=settings.LIVE_STREAM_HEARTBEAT_SECONDS),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events on at once
    response["X-OU-ID"] = access.unit.id
    response["X-Org-ID"] = access.unit.org_id
    return response


def stream_access(request) -> tuple[Member, OUAccess]:
    member = _member(request)
    unit_id = request.GET.get("ouId") or requested_ou_id(request)
    if not unit_id:
        raise NoActiveOUError()
    return member, member_ou_access(member=member, unit_id=unit_id)


def _stream_access_on_pool(request) -> tuple[Member, OUAccess]:
    """`stream_access` on a connection of its own: the pool's threads serve any code, and
    Django's end-of-request upkeep never runs in them."""
    try:
        return stream_access(request)
    finally:
        connection.close()


def _member(request) -> Member:
    authenticated = _jwt.authenticate(request)
    if authenticated is not None:
        return authenticated[0]
    if "access_token" in request.GET:
        return _jwt.get_user(_jwt.get_validated_token(request.GET["access_token"].encode()))
    if _basic.authenticate(request) is not None:
        raise PermissionDeniedError("This route needs a member's JWT, not an API credential")
    raise NotAuthenticated()


STREAM_EXAMPLE = (
    "event: score_update\n"
    'data: {"lead_id":"ld_123","score":42,"delta":5,"scores":{"rs_1":42,"rs_2":7}}\n\n'
    "event: event_ingested\n"
    'data: {"event_id":"ev_981","lead_id":"ld_123","event_type":"page_view",'
    '"channel":"web","occurred_at":"2026-01-05T09:00:00Z"}\n\n'
    ": heartbeat\n\n"
)

STREAM_OPERATION = {
    "operationId": "stream_retrieve",
    "summary": "Live stream of an OU (Server-Sent Events)",
    "description": (
        "Events of one OU as they happen, as `text/event-stream`:\n\n"
        "- `score_update`: a lead was scored: `lead_id`, `score` (primary ruleset, 0 without "
        "one), `delta` (change of that score), `scores` (`{ruleset id: score}`);\n"
        "- `event_ingested`: an event was accepted: `event_id`, `lead_id`, `event_type`, "
        "`channel`, `occurred_at` (not sent for CSV imports, at most 100 per batch request);\n"
        "- `surge`: a surge trigger fired.\n\n"
        "A `: heartbeat` comment comes after 15 s (by default) without events. Deviation from "
        "the spec: "
        "only members of the OU may listen. Browsers' EventSource cannot set headers: pass "
        "the access token as `access_token`."
    ),
    "tags": ["stream"],
    "security": [{"bearerAuth": []}],
    "parameters": [
        {
            "in": "query",
            "name": "ouId",
            "schema": {"type": "string"},
            "description": "The OU to listen to; default: the active OU (X-OU-ID, activeOu).",
        },
        {
            "in": "query",
            "name": "access_token",
            "schema": {"type": "string"},
            "description": "The member's access token, when no Authorization header is sent.",
        },
    ],
    "responses": {
        "200": {
            "description": "The stream; it stays open until the client leaves.",
            "content": {
                "text/event-stream": {"schema": {"type": "string"}, "example": STREAM_EXAMPLE}
            },
        },
        **error_responses(
            {
                "400": "No `ouId` and no active OU.",
                "401": "No access token, or one that is not valid.",
                "403": "An API credential instead of a member's JWT, or no role in the OU.",
                "404": "`ouId` names no OU of the member's organization.",
                "429": "Rate limit exceeded; `Retry-After` says when to try again.",
            }
        ),
    },
}


def stream_schema_hook(result, generator, request, public):
    """drf-spectacular postprocessing hook: documents this route, which DRF does not see."""
    result["paths"] = dict(
        sorted({**result["paths"], reverse("stream"): {"get": STREAM_OPERATION}}.items())
    )
    return result
