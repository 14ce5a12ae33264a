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


class Invalids(Invalid):
    """Several inputs are wrong at once: a form lists every one of `problems` together."""

    def __init__(self, problems: list[Invalid]) -> None:
        super().__init__(str(problems[0]), problems[0].field)
        self.problems = problems


class Conflict(ActorError):
    """It already exists."""


class Gone(ActorError):
    """It existed and was deleted (a Tombstone): answer 410, never its content."""
