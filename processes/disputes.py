"""Hooks of the dispute funnel (漏斗型纠纷化解): its script functions and service operations."""

from collections.abc import Callable

FUNNEL_LEVELS = ("community", "street", "joint", "court")


def funnel_level_label(level: str) -> str:
    """Return the Chinese label of a dispute-funnel level."""
    return {
        "community": "社区调解",
        "street": "街道调解",
        "joint": "联调联处",
        "court": "共享法庭",
    }.get(level, level)


FUNCTIONS: dict[str, Callable] = {"funnel_level_label": funnel_level_label}
OPERATIONS: dict[str, Callable] = {}
