"""gongzhi task list / claim / unclaim / complete / return."""

import click
from flask.cli import AppGroup

from engine import claim_task, complete_task, list_tasks, return_task, unclaim_task
from web.cli.cases import echo_case
from web.cli.output import engine_errors, json_object, local_time, print_json


@click.group(cls=AppGroup)
def task():
    """User tasks."""


@task.command("list")
@click.option("--agency", "agency_code", help="Only tasks of this agency (its code).")
@click.option("--user", "username", help="Only tasks claimed by this user.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@engine_errors
def list_command(agency_code, username, as_json):
    """List open and claimed tasks, soonest due first."""
    tasks = list_tasks(agency_code=agency_code, username=username)
    if as_json:
        print_json(tasks)
        return
    for t in tasks:
        due = local_time(t.due_at)
        click.echo(f"{t.id:>6}  案件 {t.case_id:<6} {t.name:<10} [{t.status}] {t.agency_name or '-'}  期限 {due}"
                   f"{f'  签收人 {t.claimed_by}' if t.claimed_by else ''}")


@task.command("claim")
@click.argument("task_id", type=int)
@click.option("--user", "username", required=True)
@engine_errors
def claim_command(task_id, username):
    """Sign for a task (签收)."""
    result = claim_task(task_id=task_id, username=username)
    click.echo(f"任务 {result.id} 已由 {result.claimed_by} 签收")


@task.command("unclaim")
@click.argument("task_id", type=int)
@click.option("--user", "username", required=True)
@engine_errors
def unclaim_command(task_id, username):
    """Give a claimed task back to its agency."""
    result = unclaim_task(task_id=task_id, username=username)
    click.echo(f"任务 {result.id} 已退回待签收")


@task.command("complete")
@click.argument("task_id", type=int)
@click.option("--user", "username", required=True)
@click.option("--data", callback=json_object, default=None, help="The form data, a JSON object.")
@click.option("--json", "as_json", is_flag=True, help="Print the case as one JSON document.")
@engine_errors
def complete_command(task_id, username, data, as_json):
    """Complete a task with its form data."""
    result = complete_task(task_id=task_id, username=username, data=data)
    print_json(result) if as_json else echo_case(result, events=False)


@task.command("return")
@click.argument("task_id", type=int)
@click.option("--user", "username", required=True)
@click.option("--reason", required=True, help="Why the task is misrouted.")
@click.option("--json", "as_json", is_flag=True, help="Print the case as one JSON document.")
@engine_errors
def return_command(task_id, username, reason, as_json):
    """Return a misrouted task (退回) with a reason."""
    result = return_task(task_id=task_id, username=username, reason=reason)
    print_json(result) if as_json else echo_case(result, events=False)
