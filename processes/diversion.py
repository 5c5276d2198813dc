"""Hooks of the non-police diversion chain (市—区—街道三级分流): its script functions and service operations."""

from collections.abc import Callable

URGENT_CATEGORIES = {"fishing_dispute", "wage_dispute", "property_damage"}


def assess_priority(category: str) -> dict:
    """Rate how urgently a diverted matter must be handled."""
    return {"priority": "high" if category in URGENT_CATEGORIES else "normal"}


FUNCTIONS: dict[str, Callable] = {}
OPERATIONS: dict[str, Callable] = {"assess_priority": assess_priority}
