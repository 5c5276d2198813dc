"""gongzhi calendar seed / import / status: the working-day calendar that working-day deadlines follow."""

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup

from engine.calendar import calendar_status, platform_zone, seed_calendar
from engine.calendar_import import import_year
from web.cli.output import engine_errors, local_time, print_json


@click.group(cls=AppGroup)
def calendar():
    """The working-day calendar: public holidays and swapped workdays (调休)."""


@calendar.command("seed")
@engine_errors
def seed_command():
    """Load the years the chinese_calendar package knows and the database does not."""
    years = seed_calendar()
    if years:
        click.echo(f"已载入 {len(years)} 个年份的节假日安排：{years[0]}–{years[-1]}")
    else:
        click.echo("没有需要载入的年份（chinese_calendar 所知的年份均已在日历中）")


@calendar.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@engine_errors
def import_command(file):
    """Load (or replace) one year's official schedule from a JSON file; see docs/engine.md for the format."""
    try:
        schedule = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.ClickException(f"{file} is not valid UTF-8 JSON: {error}") from None
    result = import_year(schedule=schedule, source=f"import:{file.name}")
    verb = "已替换" if result.replaced else "已导入"
    click.echo(f"{verb} {result.year} 年日历：节假日 {result.holidays} 天，调休上班 {result.workdays} 天；"
               f"重新计算了 {result.tasks_recomputed} 个待办任务的期限")


@calendar.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@engine_errors
def status_command(as_json):
    """Show which years have a schedule, and warn about this year or next when they have none."""
    today = datetime.now(platform_zone()).date()
    years = calendar_status(today=today)
    if as_json:
        print_json([asdict(status) for status in years])
        return
    for status in years:
        if status.covered:
            click.echo(f"{status.year}  已覆盖  节假日 {status.holidays:>2} 天  调休上班 {status.workdays} 天  "
                       f"来源 {status.source}  载入 {local_time(status.loaded_at)}")
        else:
            click.echo(f"{status.year}  未覆盖  警告：{status.year} 年没有节假日安排，该年的工作日期限只按周末计算；"
                       f"请用 gongzhi calendar import FILE 导入国务院公布的安排（或 gongzhi calendar seed）")
