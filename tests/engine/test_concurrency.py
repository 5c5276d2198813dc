"""Two people completing the same task at once: exactly one wins, the other gets a conflict."""


from flask import current_app
from sqlalchemy import func, select

from engine import ConflictError, claim_task, complete_task, start_case
from engine.db import db
from engine.models import Agency, AuditEvent, Task, User
from tests.steps import race

NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "噪音"}


def _second_dispatcher() -> None:
    agency_id = db.session.scalar(select(Agency.id).where(Agency.code == "zs-dispatch"))
    db.session.add(User(username="city-dispatcher-2", display_name="二号调度员", agency_id=agency_id,
                        roles="staff,supervisor"))
    db.session.commit()


def test_concurrent_completions_of_one_task_let_exactly_one_win(demo):
    app = current_app._get_current_object()
    for _ in range(5):
        task = start_case(process_id="diversion", data=NOISE).open_tasks[0]
        db.session.remove()
        results = race(app, [
            lambda t=task, n=n: complete_task(task_id=t.id, username=n, data={"city_dispatch_note": n})
            for n in ("city-dispatcher", "city-supervisor")
        ])
        winners = [r for r in results if not isinstance(r, Exception)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1, results
        assert len(losers) == 1 and isinstance(losers[0], ConflictError), results
        completed = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.task_id == task.id, AuditEvent.event == "completed"))
        assert completed == 1
        next_tasks = db.session.scalar(select(func.count()).select_from(Task).where(
            Task.case_id == task.case_id, Task.bpmn_id == "Task_DistrictDispatch"))
        assert next_tasks == 1


def test_concurrent_claims_of_one_task_let_exactly_one_win(demo):
    _second_dispatcher()
    app = current_app._get_current_object()
    task = start_case(process_id="diversion", data=NOISE).open_tasks[0]
    db.session.remove()
    results = race(app, [
        lambda n=n: claim_task(task_id=task.id, username=n) for n in ("city-dispatcher", "city-dispatcher-2")
    ])
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert all(isinstance(r, ConflictError) for r in results if isinstance(r, Exception))
    claims = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.event == "claimed"))
    assert claims == 1
