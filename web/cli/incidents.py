"""gongzhi import incidents FILE: take a CSV or JSON file of incidents, as the 110 push takes one."""

import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import click
from flask.cli import AppGroup

from engine.errors import EngineError, InvalidInputError
from engine.incidents import IncidentResult, take_incidents
from web.cli.incident_files import ErrorReport, FileFormatError, Row, guess_format, read_rows
from web.cli.output import engine_errors

SOURCE = "import"
BATCH = 500  # rows per transaction: a crash loses at most the batch in flight, and a rerun takes it


@dataclass
class Tally:
    rows: int = 0
    taken: int = 0
    duplicates: int = 0
    police: int = 0
    diverted: int = 0
    errors: int = 0

    def count(self, result: IncidentResult) -> None:
        if not result.created:
            self.duplicates += 1
            return
        self.taken += 1
        if result.police_matter:
            self.police += 1
        else:
            self.diverted += 1


@click.group("import", cls=AppGroup)
def import_group():
    """Import records from files."""


def _problems(error: EngineError) -> dict[str, list[str]]:
    if isinstance(error, InvalidInputError) and error.details:
        return {field or "incident": list(messages) for field, messages in error.details.items()}
    return {"incident": [error.message]}


def _take(batch: list[Row], username: str | None, tally: Tally, report: ErrorReport) -> None:
    readable = [row for row in batch if row.data is not None]
    items = [(str(row.data.get("incident_id") or "").strip(), row.data) for row in readable]
    for row in batch:
        if row.data is None:
            report.add(row.number, "", {"row": [row.problem]})
            tally.errors += 1
    for row, (incident_id, _), result in zip(readable, items, take_incidents(
            source=SOURCE, items=items, username=username), strict=True):
        if isinstance(result, IncidentResult):
            tally.count(result)
        else:
            report.add(row.number, incident_id, _problems(result))
            tally.errors += 1
    tally.rows += len(batch)


@import_group.command("incidents")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]),
              help="The file's format (default: from its extension).")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Where to write the per-row error report (default: FILE.errors.csv beside the file).")
@click.option("--user", "username", help="The user the diversion cases are started as (an integration user).")
@engine_errors
def import_incidents(file: Path, fmt: str | None, errors_path: Path | None, username: str | None):
    """Take the incidents of a CSV file (header row) or a JSON list: idempotent and resumable.

    Columns/keys: incident_id, category, location, description, reported_at (ISO 8601 with offset),
    caller_phone. Rows already taken are skipped; rows that cannot be taken go to the error report.
    """
    fmt = fmt or guess_format(file)
    if fmt is None:
        raise click.UsageError(f"cannot tell the format of {file.name}: give --format csv or --format json")
    report = ErrorReport(errors_path or file.with_name(file.name + ".errors.csv"))
    tally, started = Tally(), time.monotonic()

    def show(_item) -> str:
        elapsed = max(time.monotonic() - started, 1e-6)
        return f"{tally.rows:,} 行 rows · {tally.rows / elapsed:,.0f} 行/秒 rows/s · 错误 errors {tally.errors:,}"

    try:
        with file.open("rb") as raw, click.progressbar(
                length=max(file.stat().st_size, 1), label=f"导入 {file.name}", show_eta=True, show_percent=True,
                item_show_func=show) as bar:
            rows = read_rows(raw, fmt)
            while batch := list(islice(rows, BATCH)):
                _take(batch, username, tally, report)
                bar.update(raw.tell() - bar.pos, batch[-1])
    except FileFormatError as error:
        _summary(tally, report, time.monotonic() - started)
        raise click.ClickException(f"{file}: {error}; the rows before it were taken, fix the file and run again "
                                   "(taken rows are skipped)") from None
    finally:
        report.close()
    _summary(tally, report, time.monotonic() - started)


def _summary(tally: Tally, report: ErrorReport, seconds: float) -> None:
    click.echo(f"读取 {tally.rows:,} 行，用时 {seconds:.1f} 秒（{tally.rows / max(seconds, 1e-6):,.0f} 行/秒）")
    click.echo(f"新录入 taken {tally.taken:,}：警务类 police {tally.police:,}，分流立案 diverted {tally.diverted:,}；"
               f"此前已录入 duplicates {tally.duplicates:,}；错误 errors {tally.errors:,}")
    if tally.errors:
        click.echo(f"错误报告 error report: {report.path}（{report.rows:,} 行有误，修正后重新导入即可）")
