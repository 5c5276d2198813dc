"""What one staff page shows, read in one query each: the inbox, a task with its form, a case with its diagram.

The pages call one of these and render the result; the rules (who may act, which closed-loop step a case
is at) stay here and in processes/.
"""

from dataclasses import dataclass

from sqlalchemy import select

from engine.case_store import CASE, TASK, TASKS
from engine.comments import CommentView, list_comments
from engine.db import db
from engine.errors import NotFoundError
from engine.models import ACTIVE_TASK_STATUSES, ProcessVersion
from engine.org import Actor, can_act_on
from engine.progress import CaseProgress, case_progress
from engine.queries import Page, get_case, inbox, version_bpmn
from engine.results import CaseView, TaskView, task_view
from engine.services_catalogue import category_choices
from engine.supervision_notices import SupervisionPanel, supervision_panel
from engine.visibility import can_see_case
from processes.forms import load_form
from processes.stages import CLOSED_LOOP, STAGES, loop_step

EMPTY_FORM = {"type": "object", "properties": {}}


@dataclass(frozen=True)
class InboxOverview:
    page: Page
    case_titles: dict[int, str]
    processes: list[tuple[str, str]]  # (process id, name) to filter by
    stages: tuple[str, ...]
    categories: list[tuple[str, str]]  # (incident category, name) to filter by


def inbox_overview(*, actor: Actor, view: str, process_id: str | None = None, stage: str | None = None,
                   category: str | None = None, page: int = 1, page_size: int = 20) -> InboxOverview:
    """One page of the actor's inbox (see queries.inbox), the titles of its cases and the filter choices."""
    found = inbox(actor=actor, view=view, page=page, page_size=page_size, process_id=process_id, stage=stage,
                  category=category)
    case_ids = {task.case_id for task in found.items}
    titles = dict(db.session.execute(select(CASE.c.id, CASE.c.title).where(CASE.c.id.in_(case_ids))).all()) \
        if case_ids else {}
    names: dict[str, str] = {}
    for process, name in db.session.execute(select(ProcessVersion.process_id, ProcessVersion.name)
                                            .order_by(ProcessVersion.process_id, ProcessVersion.version)):
        names[process] = name  # the newest version's name wins
    return InboxOverview(found, titles, sorted(names.items()), STAGES, category_choices())


@dataclass(frozen=True)
class TaskOverview:
    task: TaskView
    case: CaseView
    form: dict  # the JSON Schema of the task's form
    comments: list[CommentView]
    may_act: bool  # the actor may claim, complete or return it (when its status allows)
    claimed_by_actor: bool
    supervision: SupervisionPanel | None = None  # a supervisor's notice and reassign forms, when they may


def task_overview(task_id: int, *, actor: Actor) -> TaskOverview:
    """Return a task the actor may see, its case, its form schema and its comments (NotFoundError otherwise)."""
    row = db.session.execute(TASKS.where(TASK.c.id == task_id)).first()
    if row is None or not can_see_case(actor, row.case_id):
        raise NotFoundError(f"task {task_id} does not exist")
    task = task_view(row)
    return TaskOverview(
        task=task, case=get_case(task.case_id, with_events=False), form=load_form(task.form) if task.form else
        EMPTY_FORM, comments=list_comments(task_id=task_id, actor=actor), may_act=can_act_on(actor, row),
        claimed_by_actor=task.status == "claimed" and task.claimed_by == actor.username,
        supervision=supervision_panel(row, actor))


@dataclass(frozen=True)
class AgencyInvolved:
    code: str
    name: str
    tasks: int
    active: bool  # it has an open or claimed task on the case now


@dataclass(frozen=True)
class LoopStep:
    stage: str
    state: str  # done, current, todo, or skipped (the case closed without it)


@dataclass(frozen=True)
class CaseOverview:
    case: CaseView
    progress: CaseProgress
    bpmn_xml: str
    tasks: list[TaskView]  # every task the case has had, oldest first
    agencies: list[AgencyInvolved]
    loop: list[LoopStep]


def _agencies(tasks: list[TaskView]) -> list[AgencyInvolved]:
    seen: dict[str, AgencyInvolved] = {}
    for task in tasks:
        if task.agency_code is None:
            continue
        before = seen.get(task.agency_code)
        active = task.status in ACTIVE_TASK_STATUSES
        seen[task.agency_code] = AgencyInvolved(
            task.agency_code, task.agency_name or task.agency_code, (before.tasks if before else 0) + 1,
            active or (before.active if before else False))
    return list(seen.values())


def closed_loop(tasks: list[TaskView], *, case_closed: bool) -> list[LoopStep]:
    """Where a case stands in the closed loop: a step with an active task is current, with a finished one done."""
    current = {loop_step(task.stage) for task in tasks if task.status in ACTIVE_TASK_STATUSES}
    done = {loop_step(task.stage) for task in tasks if task.status in ("completed", "returned")}
    reached = [index for index, stage in enumerate(CLOSED_LOOP) if stage in current | done]
    last = max(reached, default=-1)
    steps = []
    for index, stage in enumerate(CLOSED_LOOP):
        if stage in current:
            state = "current"
        elif stage in done:
            state = "done"
        else:  # a step the case went past, or closed without, needed no task of its own
            state = "skipped" if case_closed or index < last else "todo"
        steps.append(LoopStep(stage, state))
    return steps


def case_overview(case_id: int, *, actor: Actor) -> CaseOverview:
    """Return a case the actor may see with its timeline, diagram, progress, agencies and closed-loop step."""
    case = get_case(case_id, actor=actor)
    progress = case_progress(case_id, actor=actor)
    tasks = [task_view(row) for row in db.session.execute(TASKS.where(TASK.c.case_id == case_id)
                                                          .order_by(TASK.c.id))]
    return CaseOverview(case, progress, version_bpmn(case.process_id, case.process_version), tasks,
                        _agencies(tasks), closed_loop(tasks, case_closed=case.status != "running"))
