"""gongzhi task extend, and gongzhi extension list / approve / refuse (延期)."""

from datetime import datetime

import click
from flask.cli import AppGroup

from engine import decide_extension, list_extensions, request_extension
from engine.calendar import platform_zone
from engine.extensions import ExtensionView
from engine.models import EXTENSION_STATUSES
from engine.org import get_actor
from web.cli.output import engine_errors, local_time, print_json

STATUS_NAMES = {"pending": "待审批", "approved": "已批准", "refused": "已驳回"}


def _moment(_ctx, param, value):
    """Parse --until: ISO 8601; without a UTC offset it is the platform's local time."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("not an ISO 8601 time, such as '2025-06-09T17:30' or "
                                 "'2025-06-09T17:30:00+08:00'", param=param) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=platform_zone())


def _echo(view: ExtensionView) -> None:
    click.echo(f"{view.id:>6}  任务 {view.task_id:<6} {view.task_name:<10} [{STATUS_NAMES[view.status]}] "
               f"申请人 {view.requested_by}  期限 {local_time(view.previous_due_at)} → "
               f"{local_time(view.requested_due_at)}  审批 {view.decider_agency_name}"
               f"{f'  审批人 {view.decided_by}' if view.decided_by else ''}")


@click.command("extend")
@click.argument("task_id", type=int)
@click.option("--user", "username", required=True)
@click.option("--reason", required=True, help="Why the task needs more time.")
@click.option("--until", callback=_moment, help="The new deadline, ISO 8601 (local time unless an offset is given).")
@click.option("--extra", help="More time from the current deadline, such as '2 working days' or '4 hours'.")
@click.option("--json", "as_json", is_flag=True, help="Print the request as one JSON document.")
@engine_errors
def extend_command(task_id, username, reason, until, extra, as_json):
    """Ask for more time on a task (申请延期); a supervisor above its agency decides."""
    result = request_extension(task_id=task_id, username=username, reason=reason, until=until, extra=extra)
    if as_json:
        print_json(result)
        return
    click.echo(f"延期申请 {result.id} 已提交：任务 {result.task_id} 期限 {local_time(result.previous_due_at)} → "
               f"{local_time(result.requested_due_at)}，待 {result.decider_agency_name} 审批")


@click.group(cls=AppGroup)
def extension():
    """Task extensions (延期)."""


@extension.command("list")
@click.option("--user", "username", help="Only the requests this user may decide or follow.")
@click.option("--status", type=click.Choice(EXTENSION_STATUSES))
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@engine_errors
def list_command(username, status, page, as_json):
    """List extension requests, newest first."""
    actor = get_actor(username) if username else None
    result = list_extensions(actor=actor, status=status, page=page, page_size=100)
    if as_json:
        print_json(result)
        return
    for view in result.items:
        _echo(view)
    if result.total > page * result.page_size:
        click.echo(f"（共 {result.total} 条，下一页：--page {page + 1}）")


@extension.command("approve")
@click.argument("extension_id", type=int)
@click.option("--user", "username", required=True)
@click.option("--note")
@click.option("--json", "as_json", is_flag=True, help="Print the request as one JSON document.")
@engine_errors
def approve_command(extension_id, username, note, as_json):
    """Approve an extension request: the task's deadline moves."""
    result = decide_extension(extension_id=extension_id, username=username, approve=True, note=note)
    if as_json:
        print_json(result)
        return
    click.echo(f"延期申请 {result.id} 已批准：任务 {result.task_id} 期限改为 {local_time(result.requested_due_at)}")


@extension.command("refuse")
@click.argument("extension_id", type=int)
@click.option("--user", "username", required=True)
@click.option("--note", required=True, help="Why the request is refused.")
@click.option("--json", "as_json", is_flag=True, help="Print the request as one JSON document.")
@engine_errors
def refuse_command(extension_id, username, note, as_json):
    """Refuse an extension request, with a note; the deadline stays."""
    result = decide_extension(extension_id=extension_id, username=username, approve=False, note=note)
    if as_json:
        print_json(result)
        return
    click.echo(f"延期申请 {result.id} 已驳回：任务 {result.task_id} 期限仍为 {local_time(result.previous_due_at)}")
