"""Form schemas (JSON Schema) that user tasks and process starts name, and their validation."""

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

FORMS_DIR = Path(__file__).parent


class UnknownFormError(LookupError):
    pass


def form_names() -> list[str]:
    """List the names of the shipped forms."""
    return sorted(path.stem for path in FORMS_DIR.glob("*.json"))


@cache
def load_form(name: str) -> dict:
    """Return the JSON Schema of a form by name."""
    path = FORMS_DIR / f"{name}.json"
    if not name.replace("_", "").isalnum() or not path.is_file():
        raise UnknownFormError(f"form {name!r} does not exist (expected processes/forms/{name}.json)")
    return json.loads(path.read_text(encoding="utf-8"))


def start_form_name(process_id: str) -> str:
    """Name the start form of a process."""
    return f"{process_id}_start"


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_form(name))


def form_errors(name: str, data: dict) -> dict[str, list[str]]:
    """Validate data against a form; return the errors by field ("" for the whole form)."""
    validator = _validator(name)
    errors: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        field = ".".join(str(part) for part in error.path)
        if error.validator == "required":
            field = error.message.split("'")[1]
        errors.setdefault(field, []).append(error.message)
    return errors
