"""Service operations that BPMN service tasks call by name.

An operation takes keyword parameters (evaluated from task data) and returns JSON-safe data.
"""

from collections.abc import Callable

URGENT_CATEGORIES = {"fishing_dispute", "wage_dispute", "property_damage"}


def assess_priority(category: str) -> dict:
    """Rate how urgently a diverted matter must be handled."""
    return {"priority": "high" if category in URGENT_CATEGORIES else "normal"}


SERVICE_OPERATIONS: dict[str, Callable[..., object]] = {
    "assess_priority": assess_priority,
}
