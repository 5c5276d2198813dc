"""Read incident files row by row (CSV with a header row, or a JSON list of objects), and write error reports.

Both readers stream: a file of any size is read in pieces. Each row comes with its number (CSV: the line
it ends on, the header being line 1; JSON: its position in the list, from 1) and the bytes read so far.
"""

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

FORMATS = ("csv", "json")
_CHUNK = 1 << 16
_DECODER = json.JSONDecoder()


class FileFormatError(ValueError):
    """The file cannot be read on from here; the message says where and why."""


@dataclass(frozen=True)
class Row:
    number: int
    data: dict | None  # None when the row is not an object
    problem: str = ""  # why the row cannot be read, when it cannot


def guess_format(path: Path) -> str | None:
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else None


def read_rows(raw: BinaryIO, fmt: str) -> Iterator[Row]:
    """Yield the rows of an open binary file; `raw.tell()` says how far the reading has got."""
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    try:
        yield from (_csv_rows(text) if fmt == "csv" else _json_rows(text))
    except UnicodeDecodeError as error:
        raise FileFormatError(f"the file is not UTF-8 text (byte {error.start} of a piece): save it as UTF-8"
                              ) from None
    finally:
        text.detach()


def _csv_rows(text: io.TextIOWrapper) -> Iterator[Row]:
    reader = csv.DictReader(text)
    try:
        if not reader.fieldnames:
            raise FileFormatError("the CSV file is empty: it needs a header row (incident_id,category,...)")
        for record in reader:
            if None in record:
                yield Row(reader.line_num, None, f"the row has more cells than the header's "
                                                 f"{len(reader.fieldnames)}")
                continue
            yield Row(reader.line_num, {key.strip(): value for key, value in record.items() if key})
    except csv.Error as error:
        raise FileFormatError(f"line {reader.line_num}: {error}") from None


def _json_rows(text: io.TextIOWrapper) -> Iterator[Row]:
    buffer, position, number = "", 0, 0
    ended = False

    def fill() -> bool:
        nonlocal buffer, position
        piece = text.read(_CHUNK)
        buffer, position = buffer[position:] + piece, 0
        return bool(piece)

    def skip_space() -> str:
        nonlocal position
        while True:
            while position < len(buffer) and buffer[position].isspace():
                position += 1
            if position < len(buffer):
                return buffer[position]
            if not fill():
                return ""

    if skip_space() != "[":
        raise FileFormatError("the JSON file must be a list of objects: [{\"incident_id\": ...}, ...]")
    position += 1
    expect_item = True
    while not ended:
        char = skip_space()
        if char == "":
            raise FileFormatError(f"the JSON list ends early, after item {number}: the file is cut off")
        if char == "]":
            position += 1
            ended = True
            break
        if char == ",":
            if expect_item:
                raise FileFormatError(f"a stray comma after item {number}")
            position += 1
            expect_item = True
            continue
        if not expect_item:
            raise FileFormatError(f"after item {number}: expected , or ]")
        while True:
            try:
                value, end = _DECODER.raw_decode(buffer, position)
                # A number or word cut at the piece's end decodes too early: read on and decode again.
                if end == len(buffer) and not isinstance(value, dict | list | str) and fill():
                    continue
                break
            except json.JSONDecodeError as error:
                if fill():
                    continue
                raise FileFormatError(f"item {number + 1} is not valid JSON: {error.msg}") from None
        position, number, expect_item = end, number + 1, False
        yield Row(number, value) if isinstance(value, dict) else Row(number, None, "the item is not an object")
    if skip_space() != "":
        raise FileFormatError("there is more after the JSON list's closing ]")


class ErrorReport:
    """The per-row error report, CSV (row, incident_id, field, problem), opened on its first line."""

    HEADER = ("row", "incident_id", "field", "problem")

    def __init__(self, path: Path):
        self.path = path
        self.rows = 0
        self._file = None
        self._writer = None

    def add(self, number: int, incident_id: str, problems: dict[str, list[str]]) -> None:
        if self._file is None:
            self._file = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow(self.HEADER)
        for field, messages in problems.items():
            for message in messages:
                self._writer.writerow((number, incident_id, field, message))
        self.rows += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
