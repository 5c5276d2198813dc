"""A task's form on a page: the inputs its JSON Schema asks for, and the typed data a submitted form gives.

The schema stays the one source of truth: the engine validates the data against it on completion. This
module only turns the schema into inputs and the posted strings into JSON types; what it cannot parse
(a word where a number goes) it reports per field before the engine is called.
"""

import math
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

LONG_TEXT = 200  # strings allowed to be longer than this get a textarea
_DELIMITERS = "；;。\n"


@dataclass
class Field:
    name: str
    title: str
    kind: str  # text, textarea, select, boolean, integer, number, date, datetime, checkboxes, lines
    schema: dict
    required: bool
    hint: str = ""
    condition: str = ""  # when a conditional (if/then) schema makes it required
    options: list[tuple[str, str]] = field(default_factory=list)

    @property
    def example(self) -> str:
        examples = [item for item in self.schema.get("examples", []) if item not in ("", None, [])]
        return str(examples[0]) if examples and self.kind in ("text", "textarea") else ""


def _labels(values: list, description: str) -> tuple[dict[str, str], str]:
    """Find "code 中文名" pairs for enum values in a description; return them and the rest of the text."""
    labels, rest = {}, description
    for value in values:
        match = re.search(rf"(?<![A-Za-z0-9_]){re.escape(str(value))}\s+([^{_DELIMITERS}]+)", rest)
        if match:
            labels[str(value)] = match.group(1).strip()
            rest = rest[:match.start()] + rest[match.end():]
    return labels, rest.strip(" " + _DELIMITERS)


def _kind(schema: dict) -> str:
    kind = schema.get("type")
    if kind == "boolean":
        return "boolean"
    if kind in ("integer", "number"):
        return kind
    if kind == "array":
        return "checkboxes" if "enum" in schema.get("items", {}) else "lines"
    if "enum" in schema:
        return "select"
    if schema.get("format") == "date":
        return "date"
    if schema.get("format") == "date-time":
        return "datetime"
    return "textarea" if schema.get("maxLength", 0) > LONG_TEXT else "text"


def _value_label(value, field_: Field | None) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field_ is not None:
        return dict(field_.options).get(str(value), str(value))
    return str(value)


def _conditions(schema: dict, fields: dict[str, Field]) -> None:
    """Explain the if/then rules of a schema next to the fields they make required."""
    rules = [schema, *schema.get("allOf", [])]
    for rule in rules:
        condition, then = rule.get("if", {}), rule.get("then", {})
        if not condition or not then:
            continue
        tests = [(name, spec["const"]) for name, spec in condition.get("properties", {}).items() if "const" in spec]
        if not tests:
            continue
        text = _("Required when %(conditions)s.", conditions=_(" and ").join(
            _("“%(field)s” is “%(value)s”", field=fields[name].title if name in fields else name,
              value=_value_label(value, fields.get(name))) for name, value in tests))
        made_required = set(then.get("required", []))
        made_required |= {name for name, spec in then.get("properties", {}).items()
                          if spec.get("minLength", 0) >= 1 or spec.get("minItems", 0) >= 1}
        for name in made_required & set(fields):
            fields[name].condition = text


def form_fields(schema: dict) -> list[Field]:
    """Return the inputs of a form schema, in the schema's order."""
    required = set(schema.get("required", []))
    fields: dict[str, Field] = {}
    for name, spec in schema.get("properties", {}).items():
        kind = _kind(spec)
        values = spec.get("enum") or spec.get("items", {}).get("enum") or []
        labels, hint = _labels(values, spec.get("description", ""))
        options = [(str(value), labels.get(str(value), str(value))) for value in values]
        fields[name] = Field(name, spec.get("title") or name, kind, spec, name in required, hint, options=options)
    _conditions(schema, fields)
    return list(fields.values())


def _number(raw: str, kind: str):
    value = float(raw.replace(",", "").replace("，", ""))
    if not math.isfinite(value):
        raise ValueError(raw)
    if kind == "integer":
        if not value.is_integer():
            raise ValueError(raw)
        return int(value)
    return int(value) if value.is_integer() else value


def form_data(fields: list[Field], posted: MultiDict) -> tuple[dict, dict[str, list[str]]]:
    """Turn posted strings into the form's data; return it with the errors of values that do not parse."""
    data: dict = {}
    errors: dict[str, list[str]] = {}
    for item in fields:
        if item.kind == "checkboxes":
            chosen = [value for value in posted.getlist(item.name) if value]
            if chosen or item.required:
                data[item.name] = chosen
            continue
        raw = (posted.get(item.name) or "").strip()
        if item.kind == "lines":
            lines = [line.strip() for line in raw.splitlines() if line.strip()]
            if lines or item.required:
                data[item.name] = lines
        elif not raw:
            # A required text stays "" so the schema says what is missing; an optional one is left out.
            if item.required and item.kind in ("text", "textarea", "select", "date", "datetime"):
                data[item.name] = ""
        elif item.kind == "boolean":
            if raw not in ("true", "false"):
                errors[item.name] = [_("Choose yes or no.")]
            else:
                data[item.name] = raw == "true"
        elif item.kind in ("integer", "number"):
            try:
                data[item.name] = _number(raw, item.kind)
            except ValueError:
                errors[item.name] = [_("Enter a whole number.") if item.kind == "integer" else _("Enter a number.")]
        else:
            data[item.name] = raw
    return data, errors
