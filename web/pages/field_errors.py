"""Say the engine's per-field validation messages (JSON Schema's English) in the page's language."""

import re

from flask_babel import gettext as _

from web.pages.task_form import Field

_NUMBER = r"(-?[0-9.]+)"


def _say(message: str, item: Field | None) -> str:
    schema = item.schema if item is not None else {}
    is_list = schema.get("type") == "array"
    if message in ("required", "reserved name") or message.endswith("is a required property"):
        return _("This field is required.") if message != "reserved name" else _("This name is reserved.")
    if message.endswith("should be non-empty") or message.endswith("is too short"):
        if is_list:
            return _("Give at least %(count)d item(s).", count=schema.get("minItems", 1))
        if schema.get("minLength", 1) > 1:
            return _("Enter at least %(count)d characters.", count=schema["minLength"])
        return _("This field cannot be empty.")
    if message.endswith("is too long") or message.endswith("is expected to be empty"):
        if is_list:
            return _("Give at most %(count)d item(s).", count=schema.get("maxItems", 0))
        return _("Enter at most %(count)d characters.", count=schema.get("maxLength", 0))
    if " is not one of " in message:
        return _("Choose one of the options.")
    if " does not match " in message:
        example = next((str(value) for value in schema.get("examples", []) if value), "")
        return _("The format is not valid, for example: %(example)s", example=example) if example else \
            _("The format is not valid.")
    if match := re.search(rf"is less than the minimum of {_NUMBER}$", message):
        return _("Enter a number no less than %(minimum)s.", minimum=match.group(1))
    if match := re.search(rf"is greater than the maximum of {_NUMBER}$", message):
        return _("Enter a number no greater than %(maximum)s.", maximum=match.group(1))
    if " is not of type " in message:
        return _("The value has the wrong type.")
    if message.endswith("has non-unique elements"):
        return _("Each item may appear only once.")
    if "additional properties" in message.lower():
        return _("The form has a field it does not expect; reload the page.")
    return message


def field_errors(details: dict, fields: list[Field]) -> dict[str, list[str]]:
    """Group an InvalidInputError's details by form field, translated; "" holds what belongs to no field."""
    by_name = {item.name: item for item in fields}
    grouped: dict[str, list[str]] = {}
    for key, messages in (details or {}).items():
        name = str(key).split(".", 1)[0]
        target = name if name in by_name else ""
        raw = [str(message) for message in (messages if isinstance(messages, list) else [messages])]
        if any(message.endswith("should be non-empty") for message in raw):
            # An empty value also misses the pattern; "cannot be empty" says all there is to say.
            raw = [message for message in raw if " does not match " not in message]
        for message in raw:
            said = _say(message, by_name.get(name))
            if said not in grouped.setdefault(target, []):
                grouped[target].append(said)
    return grouped
