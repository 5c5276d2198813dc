"""Hooks of the non-police diversion chain (市—区—街道三级分流): its script functions and service operations."""

from collections.abc import Callable

# Disputes about money or livelihoods escalate quickly; a fishing crew or unpaid workers cannot wait for days.
URGENT_CATEGORIES = {"fishing_dispute", "wage_dispute", "property_damage", "injury_compensation"}
# Words in the caller's description that make any matter urgent: someone hurt, a crowd, a vulnerable person.
URGENT_WORDS = ("受伤", "流血", "打架", "聚集", "围堵", "群体", "老人", "儿童", "孕妇", "火", "漏电", "燃气")


def assess_priority(category: str, description: str = "") -> dict:
    """Rate how urgently a diverted matter must be handled: by its category, or by what the caller said."""
    urgent = category in URGENT_CATEGORIES or any(word in (description or "") for word in URGENT_WORDS)
    return {"priority": "high" if urgent else "normal"}


FUNCTIONS: dict[str, Callable] = {}
OPERATIONS: dict[str, Callable] = {"assess_priority": assess_priority}
