"""The stages a user task declares (`stage` property) and the closed loop (闭环) they make up.

Every diverted matter goes through transfer, handling, feedback and tracking, and ends with a return
visit. Processes that are not diversions use stages of their own; each counts as one step of the loop.
"""

CLOSED_LOOP: tuple[str, ...] = ("transfer", "handling", "feedback", "tracking", "return_visit")

# A stage outside the loop, and the loop step it counts as.
LOOP_STEP_OF: dict[str, str] = {
    "intake": "transfer",
    "mediation": "handling",
    "approval": "handling",
    "pickup": "feedback",
}

STAGES: tuple[str, ...] = (*CLOSED_LOOP, *LOOP_STEP_OF)


def loop_step(stage: str | None) -> str | None:
    """Return the closed-loop step a task's stage counts as (None for a task without a stage)."""
    if stage in CLOSED_LOOP:
        return stage
    return LOOP_STEP_OF.get(stage or "")
