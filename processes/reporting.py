"""The reporting facts a case's data holds, read by the engine each time it saves the case.

The indicators (engine/indicators) are SQL over real columns; these are the columns a process's data
fills. A fact the data does not hold (yet) is None.
"""

from processes.disputes import COURT_OUTCOMES, FUNNEL_LEVELS

# Start-form fields that name a case's category, by process: the first one present is used.
CATEGORY_FIELDS = ("category", "dispute_type")
# How a diversion ends (the diagram's `closure`): police business never left the police.
CLOSURES = ("police", "diverted", "misrouted", "police_taken_back", "closed_unsatisfied")
FACT_FIELDS = ("category", "closure", "resolved_level", "court_outcome", "reopened_count")


def _known(value, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


def case_facts(data: dict) -> dict:
    """Return the reporting columns of a case from its workflow data."""
    category = next((data[name] for name in CATEGORY_FIELDS if isinstance(data.get(name), str)), None)
    reopened = data.get("redo_count")
    return {
        "category": category[:64] if category else None,
        "closure": _known(data.get("closure"), CLOSURES),
        "resolved_level": _known(data.get("resolved_level"), FUNNEL_LEVELS),
        "court_outcome": _known(data.get("court_outcome"), COURT_OUTCOMES),
        "reopened_count": reopened if isinstance(reopened, int) and not isinstance(reopened, bool) else 0,
    }

# The processes whose cases are disputes in the dispute funnel (漏斗型纠纷化解) statistics.
DISPUTE_PROCESSES = ("dispute_funnel",)
