"""How CLI commands print results and report errors."""

import functools
import json
from datetime import datetime

import click

from engine import EngineError
from engine.calendar import platform_zone
from engine.results import to_jsonable


def local_time(moment: datetime | None, seconds: bool = False) -> str:
    """Show a UTC timestamp in the platform's time zone (GONGZHI_TIMEZONE, default Asia/Shanghai)."""
    if moment is None:
        return "-"
    return moment.astimezone(platform_zone()).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def print_json(value) -> None:
    click.echo(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2))


def engine_errors(command):
    """Turn an engine error into a one-line CLI error (exit status 1), never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except EngineError as error:
            lines = [error.message]
            for field, problems in error.details.items():
                if isinstance(problems, list):
                    lines.append(f"  {field or '(form)'}: {'; '.join(problems)}")
            raise click.ClickException("\n".join(lines)) from None

    return wrapper


def json_object(_ctx, param, value):
    """Parse a --data option: a JSON object."""
    if value is None:
        return {}
    try:
        data = json.loads(value)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"not valid JSON ({error.msg} at position {error.pos})", param=param) from None
    if not isinstance(data, dict):
        raise click.BadParameter('must be a JSON object, such as \'{"location": "sjm-duntou-g1"}\'', param=param)
    return data
