"""Errors the domain raises; the edges (web routes, inbox worker, CLI) turn them into answers."""


class ActorError(Exception):
    """Base of every domain error; `str(error)` is safe to show (no personal data)."""


class NotFound(ActorError):
    """No such thing — or one the caller may not know exists."""


class NotPermitted(ActorError):
    """The caller is known but may not do this."""


class Invalid(ActorError):
    """The request itself is wrong (bad name, empty post, unknown role).

    `field` names the input at fault, when there is one, so a form can point at it."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Conflict(ActorError):
    """It already exists."""


class Gone(ActorError):
    """It existed and was deleted (a Tombstone): answer 410, never its content."""
