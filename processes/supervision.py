"""The supervision chain (督办) a missed deadline starts: who hears of it, and how long after the breach.

The default chain can be replaced with GONGZHI_SUPERVISION_CHAIN, a JSON list of steps such as
[{"name": "reminder", "kind": "reminder", "after": "0 minutes", "targets": ["assignee", "agency"]}].
"""

import json
from dataclasses import dataclass

from processes.deadlines import Deadline, DeadlineSyntaxError, parse_deadline

CHAIN_KINDS = ("reminder", "supervision", "report")
# Besides the chain: a task assigned to an agency, a deadline approaching, a matter sent back, a case closed.
NOTICE_KINDS = (*CHAIN_KINDS, "assignment", "due_soon", "returned", "closed")
# assignee: who claimed the task; agency: the task's agency; supervisor_above: the agency above it;
# district: the district the task's agency belongs to.
TARGETS = ("assignee", "agency", "supervisor_above", "district")
_IMMEDIATELY = ("0", "0 minutes", "immediately", "立即")


@dataclass(frozen=True)
class ChainStep:
    name: str
    kind: str
    after: Deadline | None  # None: as soon as the breach is found
    targets: tuple[str, ...]


DEFAULT_CHAIN = (
    ChainStep("reminder", "reminder", None, ("assignee", "agency")),
    ChainStep("supervision", "supervision", Deadline(4, "hours"), ("supervisor_above",)),
    ChainStep("report", "report", Deadline(1, "working_days"), ("district",)),
)


class ChainConfigError(ValueError):
    pass


def _step(index: int, raw) -> ChainStep:
    where = f"supervision chain step {index + 1}"
    if not isinstance(raw, dict):
        raise ChainConfigError(f"{where} must be an object with kind, after and targets")
    kind = raw.get("kind")
    if kind not in CHAIN_KINDS:
        raise ChainConfigError(f"{where}: kind {kind!r} is not one of {', '.join(CHAIN_KINDS)}")
    after_text = str(raw.get("after", "0")).strip()
    try:
        after = None if after_text.lower() in _IMMEDIATELY else parse_deadline(after_text)
    except DeadlineSyntaxError as error:
        raise ChainConfigError(f"{where}: {error}") from None
    targets = raw.get("targets")
    if not isinstance(targets, list) or not targets or any(target not in TARGETS for target in targets):
        raise ChainConfigError(f"{where}: targets must be a non-empty list drawn from {', '.join(TARGETS)}")
    name = str(raw.get("name") or kind)
    return ChainStep(name[:32], kind, after, tuple(targets))


def parse_chain(text: str) -> tuple[ChainStep, ...]:
    """Parse a supervision chain written as JSON; raise ChainConfigError saying what to fix."""
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise ChainConfigError(f"the supervision chain is not valid JSON: {error}") from None
    if not isinstance(raw, list) or not raw:
        raise ChainConfigError("the supervision chain must be a non-empty JSON list of steps")
    steps = tuple(_step(index, step) for index, step in enumerate(raw))
    names = [step.name for step in steps]
    if len(set(names)) != len(names):
        raise ChainConfigError("the supervision chain's step names must be different from each other")
    return steps
