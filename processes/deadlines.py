"""Parse the deadline a user task declares in its diagram ("30 minutes", "2 working days")."""

import re
from dataclasses import dataclass

UNITS = {
    "minute": "minutes",
    "minutes": "minutes",
    "hour": "hours",
    "hours": "hours",
    "day": "days",
    "days": "days",
    "working day": "working_days",
    "working days": "working_days",
    "分钟": "minutes",
    "小时": "hours",
    "天": "days",
    "日": "days",
    "个工作日": "working_days",
    "工作日": "working_days",
}

_PATTERN = re.compile(r"^\s*(\d+)\s*(.+?)\s*$")


@dataclass(frozen=True)
class Deadline:
    amount: int
    unit: str  # minutes | hours | days | working_days


class DeadlineSyntaxError(ValueError):
    pass


def parse_deadline(text: str) -> Deadline:
    """Parse a deadline declaration such as "24 hours" or "2 working days"."""
    match = _PATTERN.match(text or "")
    unit = UNITS.get(match.group(2).lower()) if match else None
    if not match or unit is None or int(match.group(1)) <= 0:
        raise DeadlineSyntaxError(
            f"deadline {text!r} is not understood: write a positive number and a unit, "
            "such as '30 minutes', '24 hours', '3 days' or '2 working days'"
        )
    return Deadline(int(match.group(1)), unit)
