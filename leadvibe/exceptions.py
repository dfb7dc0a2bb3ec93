"""Domain errors raised by services and selectors. They say what went wrong, not how an HTTP
client hears it: the API layer maps each kind to a status code in one place
(`leadvibe.api.errors.error_status`)."""


class ApplicationError(Exception):
    """The request cannot be carried out as given (invalid input, a broken rule)."""

    default_message = "Bad Request"

    def __init__(self, message: str | None = None, *, details: dict | None = None):
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)


class NotFoundError(ApplicationError):
    default_message = "Not Found"


class PermissionDeniedError(ApplicationError):
    default_message = "Forbidden"


class ConflictError(ApplicationError):
    default_message = "Conflict"


class PayloadTooLargeError(ApplicationError):
    default_message = "Payload Too Large"


class TooManyRequestsError(ApplicationError):
    default_message = "Too Many Requests"


class UpstreamError(ApplicationError):
    """A service this one calls (Slack) refused the call or could not be reached."""

    default_message = "Bad Gateway"
