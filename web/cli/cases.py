"""gongzhi case start / show."""

import click
from flask.cli import AppGroup

from engine import get_case, start_case
from engine.results import CaseView
from web.cli.output import engine_errors, json_object, local_time, print_json


def echo_case(case: CaseView, *, events: bool) -> None:
    click.echo(f"案件 {case.id}  {case.title}")
    click.echo(f"  流程 {case.process_id} v{case.process_version}  状态 {case.status}  地点 {case.location}")
    for task in case.open_tasks:
        due = f"  期限 {local_time(task.due_at)}" if task.due_at else ""
        who = f"  签收人 {task.claimed_by}" if task.claimed_by else ""
        click.echo(f"  任务 {task.id} {task.name} [{task.status}] {task.agency_name or '-'}{due}{who}")
    if events:
        for event in case.events:
            click.echo(f"  {local_time(event.at, seconds=True)} {event.event:<15} {event.actor or 'system'}"
                       f"{f'  task {event.task_id}' if event.task_id else ''}")


@click.group(cls=AppGroup)
def case():
    """Cases (process instances)."""


@case.command("start")
@click.argument("process_id")
@click.option("--data", callback=json_object, required=True, help="Start data, a JSON object with a location.")
@click.option("--user", "username", help="The user starting the case.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@engine_errors
def start_command(process_id, data, username, as_json):
    """Start a case of the latest version of PROCESS_ID."""
    result = start_case(process_id=process_id, data=data, username=username)
    print_json(result) if as_json else echo_case(result, events=False)


@case.command("show")
@click.argument("case_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@engine_errors
def show_command(case_id, as_json):
    """Show a case: status, open tasks and audit events."""
    result = get_case(case_id)
    print_json(result) if as_json else echo_case(result, events=True)
