"""gongzhi demo load / simulate."""

import sys
from dataclasses import asdict

import click
from flask.cli import AppGroup

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
