"""The one error format of the API: `{"status": code, "error": message, "details"?: {...}}`.

Every error leaves in this shape, whether raised in a DRF view, by Django itself (404 from the
resolver, 500 from a crash, 413 from the body limit) or by middleware: no HTML error pages.
"""

from http import HTTPStatus

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from leadvibe.exceptions import (
    ApplicationError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    TooManyRequestsError,
    UpstreamError,
)

STATUS_OF_ERROR: dict[type[ApplicationError], int] = {
    NotFoundError: 404,
    PermissionDeniedError: 403,
    ConflictError: 409,
    PayloadTooLargeError: 413,
    TooManyRequestsError: 429,
    UpstreamError: 502,
}


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_status(error: ApplicationError) -> int:
    """The status of a domain error: that of its nearest kind with one, else 400."""
    return next(
        (STATUS_OF_ERROR[kind] for kind in type(error).__mro__ if kind in STATUS_OF_ERROR), 400
    )


def application_error_body(error: ApplicationError) -> dict:
    return error_body(error_status(error), error.message, error.details)


def error_body(status: int, message: str | None = None, details: dict | None = None) -> dict:
    body = {"status": status, "error": message or reason_phrase(status)}
    if details:
        body["details"] = details
    return body


def error_response(
    status: int, message: str | None = None, details: dict | None = None
) -> JsonResponse:
    return JsonResponse(error_body(status, message, details), status=status)


def validation_details(detail) -> dict:
    """DRF's nested error structure as `{field: [messages]}`."""
    if isinstance(detail, dict):
        return {str(field): _messages(value) for field, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _messages(value) -> list:
    if isinstance(value, dict):
        return [validation_details(value)]
    if isinstance(value, list):
        flat = []
        for item in value:
            flat.extend(_messages(item) if isinstance(item, list) else [_message(item)])
        return flat
    return [str(value)]


def _message(item):
    return validation_details(item) if isinstance(item, dict) else str(item)


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(application_error_body(exc), error_status(exc))
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body(413, "Request body too large"), status=413)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        response.data = error_body(400, "Validation failed", validation_details(exc.detail))
    elif isinstance(exc, Http404):
        response.data = error_body(404)
    elif isinstance(exc, PermissionDenied):
        response.data = error_body(403)
    else:
        response.data = error_body(response.status_code, _detail_message(exc))
    return response


def exception_error_response(exc: ApplicationError | drf_exceptions.APIException) -> JsonResponse:
    """The answer of a plain Django view to the errors that services and DRF authentication
    classes raise, in the shape `exception_handler` gives DRF views."""
    if isinstance(exc, ApplicationError):
        return error_response(error_status(exc), exc.message, exc.details)
    return error_response(exc.status_code, _detail_message(exc))


def _detail_message(exc) -> str | None:
    detail = getattr(exc, "detail", None)
    if isinstance(detail, dict):
        # simplejwt's InvalidToken: {"detail": ..., "code": ..., "messages": [...]}
        detail = detail.get("detail")
    return str(detail) if detail else None


def bad_request_view(request, exception=None):
    return error_response(400)


def permission_denied_view(request, exception=None):
    return error_response(403)


def not_found_view(request, exception=None):
    return error_response(404)


def server_error_view(request):
    return error_response(500)
