"""gongzhi deploy / gongzhi process list."""

import click
from flask.cli import AppGroup, with_appcontext

from engine import deploy, list_processes
from engine.deploy import read_sources
from web.cli.output import engine_errors, local_time, print_json


@click.command("deploy")
@with_appcontext
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--user", "username", help="Record this user as the deployer.")
@engine_errors
def deploy_command(paths, username):
    """Parse, validate and store BPMN/DMN files (or directories of them) as new process versions."""
    for result in deploy(sources=read_sources(list(paths)), username=username):
        state = "新版本" if result.created else "未变化"
        click.echo(f"{result.process_id} v{result.version} ({state})")


@click.group(cls=AppGroup)
def process():
    """Deployed processes."""


@process.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@engine_errors
def list_command(as_json):
    """List process versions, newest first."""
    versions = list_processes()
    if as_json:
        print_json(versions)
        return
    if not versions:
        click.echo("尚未部署流程：运行 gongzhi deploy bpmn/")
    for v in versions:
        click.echo(f"{v.process_id:<20} v{v.version:<4} {v.name}  {local_time(v.deployed_at)}  "
                   f"{v.deployed_by or '-'}  {', '.join(v.files)}")
