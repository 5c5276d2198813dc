"""Open311 GeoReport v2: every endpoint in JSON and in XML, checked against the standard's formats."""

import re
from datetime import datetime
from xml.etree import ElementTree

import pytest

from engine import get_case
from engine.decisions import classify_incident
from engine.tokens import create_token
from tests.steps import work

FORMATS = ["json", "xml"]
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description", "order", "description",
                    "values"]
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
DATETIMES = ("requested_datetime", "updated_datetime", "expected_datetime")
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


@pytest.fixture
def client(app, demo):
    return app.test_client()


@pytest.fixture
def api_key(demo):
    return create_token(username="sjm-station", name="市民 App (Open311)").token


def post(client, key, fmt="json", **fields):
    form = {"api_key": key, "service_code": "noise", "address_id": "sjm-duntou-g1",
            "description": "沿街店铺深夜噪声扰民", "lat": "29.9466", "long": "122.3023", "email": "resident@example.cn",
            "first_name": "明", "last_name": "王", "phone": "13800138000",
            "attribute[reported_at]": "2024-05-10T23:30:00+08:00", **fields}
    return client.post(f"/open311/v2/requests.{fmt}", data={k: v for k, v in form.items() if v is not None})


def parsed(response, fmt, root=None, item=None):
    """The body as Python: JSON as is; XML as a list of {child: text} under <root> (one dict without item)."""
    assert response.content_type.startswith("application/json" if fmt == "json" else "text/xml"), \
        response.content_type
    if fmt == "json":
        return response.get_json()
    tree = ElementTree.fromstring(response.data)
    assert tree.tag == root
    if item is None:
        return tree
    assert all(child.tag == item for child in tree)
    return [{field.tag: field.text for field in child} for child in tree]


def check_errors(response, fmt, status, says):
    assert response.status_code == status, response.data
    if fmt == "json":
        errors = response.get_json()
        assert isinstance(errors, list) and errors
        assert all(set(error) == {"code", "description"} and error["code"] == status for error in errors)
    else:
        errors = parsed(response, fmt, "errors", "error")
        assert errors and all(set(error) == {"code", "description"} and error["code"] == str(status)
                              for error in errors)
    assert says in " ".join(error["description"] for error in errors), errors


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_services_are_the_non_police_categories(client, fmt):
    services = parsed(client.get(f"/open311/v2/services.{fmt}"), fmt, "services", "service")
    codes = [service["service_code"] for service in services]
    assert "noise" in codes and "wage_dispute" in codes and "other" in codes
    assert not [code for code in codes if classify_incident(code)], "police business is not a service"
    for service in services:
        assert list(service) == SERVICE_FIELDS
        assert service["type"] in ("realtime", "batch", "blackbox")
        assert service["metadata"] in ((True, False) if fmt == "json" else ("true", "false"))
        assert isinstance(service["keywords"], str) and service["service_name"]
    noise = services[codes.index("noise")]
    assert noise["service_name"] == "噪声扰民" and noise["group"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_lists_its_attributes(client, fmt):
    response = client.get(f"/open311/v2/services/noise.{fmt}")
    if fmt == "json":
        definition = response.get_json()
        assert list(definition) == ["service_code", "attributes"]
        attributes = definition["attributes"]
    else:
        tree = parsed(response, fmt, "service_definition")
        assert [child.tag for child in tree] == ["service_code", "attributes"]
        definition = {"service_code": tree.findtext("service_code")}
        attributes = [{field.tag: field.text if field.tag != "values" else list(field) for field in attribute}
                      for attribute in tree.find("attributes")]
        assert all(element.tag == "attribute" for element in tree.find("attributes"))
    assert definition["service_code"] == "noise"
    assert all(list(attribute) == ATTRIBUTE_FIELDS for attribute in attributes)
    assert all(attribute["datatype"] in DATATYPES for attribute in attributes)
    assert sorted(int(attribute["order"]) for attribute in attributes) == list(range(1, len(attributes) + 1))
    [reported_at] = [attribute for attribute in attributes if attribute["code"] == "reported_at"]
    assert reported_at["code"] == "reported_at" and reported_at["datatype"] in DATATYPES
    assert reported_at["datatype"] == "datetime"
    assert str(reported_at["required"]).lower() == "false" and str(reported_at["variable"]).lower() == "true"


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_or_police_service_is_a_404(client, fmt):
    check_errors(client.get(f"/open311/v2/services/ufo.{fmt}"), fmt, 404, "not a service here")
    check_errors(client.get(f"/open311/v2/services/theft.{fmt}"), fmt, 404, "110")


@pytest.mark.parametrize("fmt", FORMATS)
def test_posting_a_request_starts_a_diversion_case(client, api_key, fmt):
    response = post(client, api_key, fmt)
    assert response.status_code == 201, response.data
    [receipt] = parsed(response, fmt, "service_requests", "request")
    assert set(receipt) >= {"service_request_id", "service_notice", "account_id", "token"}
    assert receipt["service_request_id"].isdigit() and receipt["token"] and receipt["service_notice"]

    [found] = parsed(client.get(f"/open311/v2/requests/{receipt['service_request_id']}.{fmt}"), fmt,
                     "service_requests", "request")
    assert list(found) == REQUEST_FIELDS
    assert found["service_request_id"] == receipt["service_request_id"]
    assert (found["status"], found["service_code"], found["service_name"]) == ("open", "noise", "噪声扰民")
    assert found["address_id"] == "sjm-duntou-g1" and found["address"]
    assert found["agency_responsible"] == "舟山市社会治理指挥中心"
    assert found["status_notes"] == "已转交舟山市社会治理指挥中心办理"
    for name in DATETIMES:
        assert W3C.match(found[name]), (name, found[name])
        assert datetime.fromisoformat(found[name]).tzinfo is not None
    assert float(found["lat"]) == pytest.approx(29.9466) and float(found["long"]) == pytest.approx(122.3023)
    text = response.data.decode() + client.get(f"/open311/v2/requests.{fmt}").data.decode()
    assert "resident@example.cn" not in text and "13800138000" not in text, "contact details are never shown"

    [by_token] = parsed(client.get(f"/open311/v2/tokens/{receipt['token']}.{fmt}"), fmt, "service_requests",
                        "request")
    assert by_token == {"service_request_id": receipt["service_request_id"], "token": receipt["token"]}


def test_a_request_follows_its_case(app, client, api_key):
    receipt = post(client, api_key).get_json()[0]
    case_id = int(receipt["service_request_id"])
    city_task = get_case(case_id).open_tasks[0]
    work(city_task.id, "city-dispatcher", {"city_dispatch_note": "转普陀区"})
    [found] = client.get(f"/open311/v2/requests/{case_id}.json").get_json()
    assert found["agency_responsible"] == "普陀区社会治理指挥中心"
    assert found["status_notes"] == "已转交普陀区社会治理指挥中心办理"
    assert found["expected_datetime"] is not None
    assert client.get("/open311/v2/requests.json?status=closed").get_json() == []
    assert [r["service_request_id"] for r in client.get("/open311/v2/requests.json?status=open").get_json()] == [
        str(case_id)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_are_filtered(client, api_key, fmt):
    noise = post(client, api_key).get_json()[0]["service_request_id"]
    wage = post(client, api_key, service_code="wage_dispute", description="讨薪").get_json()[0]["service_request_id"]

    def ids(query=""):
        found = parsed(client.get(f"/open311/v2/requests.{fmt}{query}"), fmt, "service_requests", "request")
        return sorted(item["service_request_id"] for item in found)

    assert ids() == sorted([noise, wage])
    assert ids("?service_code=wage_dispute") == [wage]
    assert ids("?service_code=noise,wage_dispute") == sorted([noise, wage])
    assert ids(f"?service_request_id={noise}") == [noise]
    assert ids(f"?service_request_id={noise},{wage},999") == sorted([noise, wage])
    assert ids("?status=open") == sorted([noise, wage]) and ids("?status=closed") == []
    assert ids("?start_date=2000-01-01T00:00:00Z&end_date=2000-02-01T00:00:00Z") == []
    assert ids("?start_date=2000-01-01T00:00:00%2B08:00") == sorted([noise, wage])
    assert ids("?end_date=2000-01-01") == []


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("fields", "status", "says"), [
    ({"api_key": None}, 403, "api_key"),
    ({"api_key": "gz_" + "x" * 43}, 403, "api_key"),
    ({"service_code": None}, 400, "service_code"),
    ({"service_code": "theft"}, 400, "110"),
    ({"address_id": "atlantis"}, 400, "address_id"),
    ({"address_id": None}, 400, "address_id"),
    ({"address_id": None, "address_string": "不存在的地方"}, 400, "address_string"),
    ({"lat": "north"}, 400, "lat"),
    ({"long": "200"}, 400, "long"),
    ({"description": None}, 400, "description"),
    ({"description": "长" * 4001}, 400, "4000"),
    ({"phone": "call me"}, 400, "phone"),
    ({"attribute[reported_at]": "yesterday"}, 400, "attribute[reported_at]"),
    ({"attribute[colour]": "red"}, 400, "attribute[colour]"),
])
def test_bad_requests_are_refused_in_the_standard_error_format(client, api_key, fmt, fields, status, says):
    check_errors(post(client, api_key, fmt, **fields), fmt, status, says)
    assert client.get("/open311/v2/requests.json").get_json() == []


def test_a_request_may_be_placed_by_the_grid_name(client, api_key):
    response = post(client, api_key, address_id=None, address_string="墩头社区第一网格")
    assert response.status_code == 201, response.data
    [found] = client.get("/open311/v2/requests.json").get_json()
    assert found["address_id"] == "sjm-duntou-g1"


def test_a_json_body_is_accepted_too(client, api_key):
    response = client.post("/open311/v2/requests.json", json={
        "api_key": api_key, "service_code": "noise", "address_id": "sjm-duntou-g1", "description": "噪声",
        "attribute": {"reported_at": "2024-05-10T23:30:00+08:00"}})
    assert response.status_code == 201, response.data


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("method", "path", "status", "says"), [
    ("GET", "/open311/v2/requests/999", 404, "does not exist"),
    ("GET", "/open311/v2/requests/abc", 404, "does not exist"),
    ("GET", "/open311/v2/tokens/nope", 404, "token"),
    ("GET", "/open311/v2/requests?start_date=yesterday", 400, "start_date"),
    ("GET", "/open311/v2/requests?end_date=2024-02-30", 400, "end_date"),
    ("GET", "/open311/v2/requests?status=pending", 400, "status"),
    ("GET", "/open311/v2/requests?start_date=2024-05-02&end_date=2024-05-01", 400, "end_date"),
    ("DELETE", "/open311/v2/requests", 405, "DELETE"),
    ("POST", "/open311/v2/services", 405, "POST"),
    ("GET", "/open311/v2/discovery", 404, "not an Open311"),
])
def test_errors_are_a_list_of_code_and_description(client, fmt, method, path, status, says):
    path, _, query = path.partition("?")
    url = f"{path}.{fmt}" + (f"?{query}" if query else "")
    check_errors(client.open(url, method=method), fmt, status, says)


def test_an_unknown_format_is_a_404_in_json(client):
    check_errors(client.get("/open311/v2/services.csv"), "json", 404, ".json or .xml")


def test_xml_is_well_formed_with_a_declaration(client, api_key):
    post(client, api_key, description="<b>噪声 & 吵闹</b>")
    response = client.get("/open311/v2/requests.xml")
    assert response.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    [found] = parsed(response, "xml", "service_requests", "request")
    assert found["description"] == "<b>噪声 & 吵闹</b>"
