"""Functions that BPMN scripts and conditions may call. Nothing else is in their namespace."""

FUNNEL_LEVELS = ("community", "street", "joint", "court")


def funnel_level_label(level: str) -> str:
    """Return the Chinese label of a dispute-funnel level."""
    return {
        "community": "社区调解",
        "street": "街道调解",
        "joint": "联调联处",
        "court": "共享法庭",
    }.get(level, level)


SCRIPT_FUNCTIONS = {
    "funnel_level_label": funnel_level_label,
}
