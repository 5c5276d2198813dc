"""The user an API request acts as."""

from engine.org import Actor, get_actor
from web.auth import require_username


def current_actor() -> Actor:
    """The authenticated user (Bearer token or session), with their agency and roles; 401 otherwise."""
    return get_actor(require_username())


def acting_username() -> str:
    """The authenticated username (Bearer token or session); 401 otherwise."""
    return require_username()
