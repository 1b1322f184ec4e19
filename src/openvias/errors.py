"""The one exception model: every failure carries its HTTP status and VIAS error code.

A single handler (``openvias.api.handlers``) renders them as the VIAS error body
``{error_code, error_msg, detail, params, reason, advice}``.
"""

from __future__ import annotations

from typing import ClassVar


class OpenViasError(Exception):
    status_code: ClassVar[int] = 500
    error_code: ClassVar[str] = "VIAS.00010006"
    reason: ClassVar[str] = "An internal error occurs."
    advice: ClassVar[str] = "Try again later or contact the administrator."

    def __init__(
        self, message: str | None = None, *, detail: str | None = None, param: str | None = None
    ) -> None:
        self.message = message or self.reason
        self.detail = detail or self.message
        self.param = param
        super().__init__(self.message)


class InvalidParameter(OpenViasError):
    status_code = 400
    error_code = "VIAS.00010001"
    reason = "The parameters are invalid."
    advice = "Ensure that the entered parameter is valid."


class InvalidVideoSourceConfig(InvalidParameter):
    error_code = "VIAS.00010018"
    reason = "The video source configuration is invalid."


class Unauthorized(OpenViasError):
    status_code = 401
    error_code = "VIAS.00010005"
    reason = "Authorization failed."
    advice = "Provide a valid X-Auth-Token or an SDK-HMAC-SHA256 signature."


class Forbidden(OpenViasError):
    status_code = 403
    error_code = "VIAS.00010019"
    reason = "The project is not accessible."
    advice = "Use a project that your user has been granted."


class NotFound(OpenViasError):
    status_code = 404
    error_code = "VIAS.00010002"
    reason = "The object does not exist."
    advice = "Check the identifier in the request."


class TaskNotFound(NotFound):
    error_code = "VIAS.00010007"
    reason = "No task is found based on the task ID."


class MethodNotAllowed(OpenViasError):
    status_code = 405
    error_code = "VIAS.00090405"
    reason = "The request method is not supported by this resource."
    advice = "Check the API reference for the methods this path accepts."


class Conflict(OpenViasError):
    status_code = 409
    error_code = "VIAS.00010003"
    reason = "The object already exists."
    advice = "Use another name or identifier."


class DuplicateVideoSourceName(Conflict):
    error_code = "VIAS.00010010"
    reason = "There is a video source with the same name."


class InUse(Conflict):
    error_code = "VIAS.00010051"
    reason = "The object is in use."
    advice = "Remove the references to it first."


class WrongState(Conflict):
    """The object exists but its state does not allow the operation (openvias extension)."""

    error_code = "VIAS.00090409"
    reason = "The object is not in a state that allows this operation."
    advice = "Check the object's state first."


class PayloadTooLarge(OpenViasError):
    status_code = 413
    error_code = "VIAS.00090413"
    reason = "The request body is too large."
    advice = "Send a body of at most 1 MiB."


class UnsupportedMediaType(OpenViasError):
    status_code = 415
    error_code = "VIAS.00090415"
    reason = "The request body must be JSON."
    advice = "Send the body with Content-Type: application/json."


class QuotaExceeded(OpenViasError):
    status_code = 400
    error_code = "VIAS.00010047"
    reason = "The maximum number of video sources has been reached."
    advice = "Ask the administrator to raise the quota."


class TooManyRequests(OpenViasError):
    """Refused before any work, for ``retry_after`` seconds (sent as Retry-After)."""

    status_code = 429
    error_code = "VIAS.00090429"
    reason = "Too many requests."
    advice = "Wait for the number of seconds in Retry-After, then try again."

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class ServiceUnavailable(OpenViasError):
    status_code = 503
    error_code = "VIAS.00010009"
    reason = "A dependent service is temporarily unavailable."
    advice = "Retry the request after a short delay."


class InternalError(OpenViasError):
    pass


class VideoUnreadable(OpenViasError):
    """A video source's picture cannot be taken (snapshots, an openvias extension); the
    codes are the engine's task error codes (``docs/design/engine.md``)."""

    status_code = 422
    error_code = "VIAS.00090503"
    reason = "The video source's video cannot be decoded."
    advice = "Check that the source's address names a readable video."


class VideoNotFound(VideoUnreadable):
    error_code = "VIAS.00090502"
    reason = "The video source's video was not found."


class VideoUnsupported(VideoUnreadable):
    error_code = "VIAS.00090504"
    reason = "The video source's container or codec is not supported."


class VideoNotPullable(VideoUnreadable):
    error_code = "VIAS.00090507"
    reason = "The video source cannot be read here."
    advice = (
        "Check the source's type and address against OPENVIAS_FILE_ROOTS, the OBS settings "
        "and the video-source address policy (OPENVIAS_ALLOW_PRIVATE_TARGETS)."
    )


class VideoUnreachable(OpenViasError):
    status_code = 502
    error_code = "VIAS.00090501"
    reason = "The video source cannot be reached."
    advice = "Check that the camera or server is up and reachable, then try again."


class VideoTimedOut(OpenViasError):
    status_code = 504
    error_code = "VIAS.00090510"
    reason = "The video source gave no picture within the time limit."
    advice = "Check that the source sends video, then try again."


class SnapshotCrashed(InternalError):
    error_code = "VIAS.00090505"
    reason = "The snapshot process failed."


ALL_ERRORS: tuple[type[OpenViasError], ...] = (
    InvalidParameter,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    InternalError,
)


class ReferencedObjectMissing(InvalidParameter):
    """A body refers to an object that does not exist (the URL's resource does)."""

    error_code = "VIAS.00010002"
    reason = "The object does not exist."
