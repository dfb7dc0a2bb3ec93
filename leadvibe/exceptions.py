"""Domain errors raised by services and selectors; the API layer renders them in one place."""


class ApplicationError(Exception):
    status_code = 400
    default_message = "Bad Request"

    def __init__(self, message: str | None = None, *, details: dict | None = None):
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)


class NotFoundError(ApplicationError):
    status_code = 404
    default_message = "Not Found"


class PermissionDeniedError(ApplicationError):
    status_code = 403
    default_message = "Forbidden"


class ConflictError(ApplicationError):
    status_code = 409
    default_message = "Conflict"


class PayloadTooLargeError(ApplicationError):
    status_code = 413
    default_message = "Payload Too Large"


class TooManyRequestsError(ApplicationError):
    status_code = 429
    default_message = "Too Many Requests"
