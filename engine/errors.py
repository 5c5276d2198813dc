"""The errors engine commands raise. Callers map them to HTTP statuses or CLI messages."""


class EngineError(Exception):
    """A command could not be carried out; the message says what to fix."""

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFoundError(EngineError):
    """The case, task, process, user or agency does not exist (or is not visible)."""


class PermissionDeniedError(EngineError):
    """The user may not do this."""


class ConflictError(EngineError):
    """Someone else changed the case or task first; reload and try again."""


class InvalidInputError(EngineError):
    """The input is wrong; `details` holds the errors by field."""


class DeployError(EngineError):
    """A BPMN or DMN file is invalid; `details` names the file, the element and the problem."""


class ProcessError(EngineError):
    """The process itself failed while running (a script, a condition, a service); nothing was saved."""
