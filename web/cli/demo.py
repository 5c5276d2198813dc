"""gongzhi demo load / simulate / generate."""

import sys
import time
from dataclasses import asdict

import click
from flask.cli import AppGroup

from engine.demo.generate import check_can_generate, generate_history
from engine.demo.load import load_demo
from engine.demo.simulate import simulate
from web.cli.output import engine_errors, print_json


@click.group(cls=AppGroup)
def demo():
    """Demo data."""


@demo.command("load")
@engine_errors
def load_command():
    """Load the demo agency tree and users and deploy bpmn/ (idempotent)."""
    result = load_demo()
    click.echo(f"机构新增 {result.agencies_created} 个，用户新增 {result.users_created} 个")
    for item in result.deployed:
        click.echo(f"流程 {item.process_id} v{item.version} ({'新版本' if item.created else '未变化'})")
    click.echo(f"\n演示用户（密码均为 {result.password}）：")
    for user in result.users:
        click.echo(f"  {user.username:<16} {user.roles:<11} {user.agency:<16} {user.display_name}")


@demo.command("simulate")
@click.option("--cases", type=click.IntRange(min=1), required=True, help="How many cases to run.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed for the form values.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON document.")
@engine_errors
def simulate_command(cases, seed, as_json):
    """Run N synthetic cases end to end through the deployed processes."""
    with click.progressbar(length=cases, label="模拟案件", file=sys.stderr) as bar:
        summary = simulate(cases=cases, seed=seed, on_case=lambda: bar.update(1))
    if as_json:
        print_json(asdict(summary))
        return
    click.echo(f"cases_started={summary.cases_started} cases_completed={summary.cases_completed} "
               f"tasks_completed={summary.tasks_completed} errors={summary.errors}")
    for process_id, tally in summary.by_process.items():
        click.echo(f"  {process_id}: {asdict(tally)}")
    for message in summary.error_messages:
        click.echo(f"  error: {message}", err=True)


@demo.command("generate")
@click.option("--cases", type=int, required=True, help="How many cases to add (PostgreSQL: millions; SQLite: up to "
              "100,000).")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed of the places, paces and form "
              "values drawn.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON document.")
@engine_errors
def generate_command(cases, seed, as_json):
    """Add N cases of realistic history over the past year (needs `gongzhi demo load`).

    Cases of the four shipped processes in every state (most completed, some running with open or claimed
    tasks, some overdue, a few cancelled) spread over every grid, with their tasks, audit events,
    supervision steps and 110 incidents. The first cases are played through the engine; the rest are
    copies written in bulk, so running cases can be claimed and completed as usual. The city grows by a
    street for every 5,000 cases. Running it again ADDS N more cases.
    """
    if cases <= 0:
        raise click.BadParameter(f"must be at least 1, not {cases}", param_hint="--cases")
    check_can_generate(cases)  # before the progress bar: a refusal prints alone
    started = time.monotonic()
    done = 0

    def show(_item) -> str:
        elapsed = max(time.monotonic() - started, 1e-6)
        return f"{done:,} 件 cases · {done / elapsed:,.0f} 件/秒 cases/s"

    with click.progressbar(length=cases, label="生成案件", show_eta=True, show_percent=True, item_show_func=show,
                           file=sys.stderr) as bar:
        def advance(count: int) -> None:
            nonlocal done
            done += count
            bar.update(count, done)

        result = generate_history(cases=cases, seed=seed, on_progress=advance)
    if as_json:
        print_json({**asdict(result), "rows_per_second": round(result.rows_per_second)})
        return
    rows = sum(result.rows.values())
    click.echo(f"新增案件 {result.cases:,} 件（其中 {result.template_cases} 件经引擎实际办理作为模板），"
               f"用时 {result.seconds:.1f} 秒；批量写入 {rows:,} 行（{result.rows_per_second:,.0f} 行/秒）")
    click.echo("  " + "，".join(f"{table} {count:,}" for table, count in result.rows.items()))
    click.echo(f"街道 {result.streets} 个（新增机构 {result.agencies_added} 个）；"
               "库中案件：" + "，".join(f"{status} {count:,}" for status, count in sorted(result.by_status.items())))
    for message in result.errors:
        click.echo(f"  模板案件出错 template error: {message}", err=True)
