"""gongzhi report generate / list: the periodic reports (定期通报)."""

from datetime import datetime

import click
from flask.cli import AppGroup

from engine.calendar import platform_zone
from engine.db import utcnow
from engine.reports import generate_due_reports, list_reports, period_label
from web.cli.output import engine_errors, local_time, print_json


def _moment(_ctx, param, value):
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("an ISO 8601 time, such as 2025-07-01T09:00 (local unless it has an offset)",
                                 param=param) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=platform_zone())


@click.group("report", cls=AppGroup)
def report():
    """Periodic reports: each supervised agency's indicators for the last week and the last month."""


@report.command("generate")
@click.option("--now", callback=_moment, help="generate what is due at this time instead of now (ISO 8601)")
@engine_errors
def generate_command(now):
    """Write the weekly and monthly reports that are due and missing, and notify the supervisors."""
    written = generate_due_reports(now=now or utcnow())
    click.echo(f"已生成定期通报 {written} 份" if written else "没有待生成的定期通报")


@report.command("list")
@click.option("--kind", type=click.Choice(["weekly", "monthly"]))
@click.option("--agency", "agency_code")
@click.option("--page", default=1, type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True)
@engine_errors
def list_command(kind, agency_code, page, as_json):
    """The reports, newest period first."""
    reports = list_reports(actor=None, kind=kind, agency_code=agency_code, page=page, page_size=50)
    if as_json:
        print_json(reports.items)
        return
    for item in reports.items:
        click.echo(f"{item['id']:>6}  {item['agency_name']}  "
                   f"{period_label(item['kind'], item['period_start'], item['period_end'])}  "
                   f"生成于 {local_time(item['generated_at'])}")
    if not reports.items:
        click.echo("(无定期通报)")
    elif reports.total > page * 50:
        click.echo(f"共 {reports.total} 份；下一页：--page {page + 1}")
