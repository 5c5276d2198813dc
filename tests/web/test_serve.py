"""The in-process worker of `gongzhi serve` fires due timers on each tick."""

from datetime import UTC, datetime, timedelta

import time_machine
from flask import current_app

from engine import get_case, start_case
from web.cli.serve import tick

DISPUTE = {"source": "petition", "location": "dg-puxi-g1", "parties": ["甲", "乙"], "summary": "噪音纠纷"}


def test_a_tick_fires_the_timers_that_are_due(demo):
    app = current_app._get_current_object()
    with time_machine.travel(datetime(2026, 6, 1, 8, 0, tzinfo=UTC), tick=False) as clock:
        case = start_case(process_id="dispute_funnel", data=DISPUTE)
        assert tick(app) == 0
        clock.shift(timedelta(days=3, minutes=1))
        assert tick(app) == 1
    assert get_case(case.id).open_tasks[0].bpmn_id == "Task_StreetMediation"
