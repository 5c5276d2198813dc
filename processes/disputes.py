"""Hooks of the dispute funnel (漏斗型纠纷化解): its script functions and service operations.

The diagram (bpmn/dispute_funnel.bpmn) records in case data, for the funnel statistics:
- `resolved_level`: the level where the case ended (FUNNEL_LEVELS): the mediation level whose agreement
  closed it, or `court` when the shared court took an online filing;
- `court_outcome` (COURT_OUTCOMES): `none` (closed by a mediation agreement without the court),
  `confirmed` (the shared court confirmed the agreement) or `filed` (online filing).
"""

from collections.abc import Callable

FUNNEL_LEVELS = ("community", "street", "joint", "court")
COURT_OUTCOMES = ("none", "confirmed", "filed")


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
