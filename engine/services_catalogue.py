"""The services citizens may request (Open311): the non-police categories of the diversion start form.

Each service is one incident category that the diversion decision table diverts; police business is
not a service (it is reported to 110). A service's attributes are the start form's fields that the
request's standard fields (description, address, phone) do not already carry.
"""

import re
from dataclasses import dataclass, field

from engine.decisions import DIVERSION, classification
from engine.errors import NotFoundError
from processes.agency_kinds import kind_for_code
from processes.forms import load_form, start_form_name

# Start-form fields that a request's standard fields fill: they are not attributes.
STANDARD_FIELDS = {"category": "service_code", "location": "address_id", "description": "description",
                   "caller_phone": "phone"}
TIERS = {"street": "街道联动处置 street", "district": "区级职能部门 district"}
_NAMED = re.compile(r"([a-z_]+)\s+([^；;]+)")


@dataclass(frozen=True)
class AttributeValue:
    key: str
    name: str


@dataclass(frozen=True)
class ServiceAttribute:
    variable: bool  # True: the client asks the citizen for a value
    code: str
    datatype: str  # string, number, datetime, text, singlevaluelist, multivaluelist
    required: bool
    datatype_description: str
    order: int
    description: str
    values: list[AttributeValue] = field(default_factory=list)


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    group: str
    keywords: list[str]
    attributes: list[ServiceAttribute]


def _category_names(form: dict) -> dict[str, str]:
    """The Chinese name of each category, from the form's own description ("noise 噪声扰民；...")."""
    text = form["properties"]["category"].get("description", "")
    return {code: name.split("（")[0].strip() for code, name in _NAMED.findall(text)}


def category_choices() -> list[tuple[str, str]]:
    """Every incident category of the diversion start form, with its Chinese name, in the form's order."""
    form = load_form(start_form_name(DIVERSION))
    names = _category_names(form)
    return [(code, names.get(code, code)) for code in form["properties"]["category"]["enum"]]


def _datatype(schema: dict) -> str:
    if "enum" in schema or schema.get("type") == "boolean":
        return "singlevaluelist"
    if schema.get("type") in ("number", "integer"):
        return "number"
    if schema.get("format") == "date-time" or "ISO 8601" in schema.get("description", ""):
        return "datetime"
    return "text" if schema.get("maxLength", 0) > 200 else "string"


def _values(schema: dict) -> list[AttributeValue]:
    if schema.get("type") == "boolean":
        return [AttributeValue("true", "是 yes"), AttributeValue("false", "否 no")]
    return [AttributeValue(str(value), str(value)) for value in schema.get("enum", [])]


def _attributes(form: dict) -> list[ServiceAttribute]:
    required = set(form.get("required", []))
    attributes = []
    for name, schema in form.get("properties", {}).items():
        if name in STANDARD_FIELDS:
            continue
        datatype = _datatype(schema)
        attributes.append(ServiceAttribute(
            variable=True, code=name, datatype=datatype, required=name in required, order=len(attributes) + 1,
            datatype_description=schema.get("description", "") if datatype == "datetime" else "",
            description=schema.get("title", name),
            values=_values(schema)))
    return attributes


def list_services() -> list[Service]:
    """Every service: one per category the deployed diversion decision table does not call police business."""
    form = load_form(start_form_name(DIVERSION))
    names, attributes = _category_names(form), _attributes(form)
    services = []
    for code in form["properties"]["category"]["enum"]:
        verdict = classification(code)
        if verdict.get("police_business", False):
            continue
        kind = kind_for_code(verdict.get("target_kind") or "")
        name = names.get(code, code)
        handler = f"，由{kind.name}承办" if kind else ""
        services.append(Service(
            code=code, name=name, description=f"{name}（非警务类事项{handler}）",
            group=TIERS.get(verdict.get("tier"), "其他 other"), keywords=[code, name], attributes=attributes))
    return services


def get_service(code: str) -> Service:
    """One service by its code; NotFoundError names the known codes."""
    services = list_services()
    for service in services:
        if service.code == code:
            return service
    raise NotFoundError(f"service_code {code!r} is not a service here; use one of "
                        f"{', '.join(s.code for s in services)} (police business is reported to 110)")
