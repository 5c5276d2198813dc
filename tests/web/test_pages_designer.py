"""The designers' pages: process versions, the modeler and its deploy endpoint, comparison, BPMN download."""

import json
import re
from html import unescape

from engine import start_case
from tests.engine.test_diagram_diff import CITY_DEADLINE, DIVERSION, edited
from tests.web.page_steps import NOISE, client_of, csrf_token

DEPLOY = "/processes/diversion/versions/1/deploy"


def deploy_xml(client, xml: str, path: str = DEPLOY):
    return client.post(path, json={"xml": xml}, headers={"X-CSRFToken": csrf_token(client, "/processes")})


def test_the_process_list_shows_versions_deployers_cases_and_links(site):
    start_case(process_id="diversion", data=NOISE, username="sjm-police")
    client = client_of(site, "designer")
    response = client.get("/processes")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "流程" in page and "非警务类事项分流" in page and "矛盾纠纷漏斗化解" in page
    row = re.search(r'<tr id="version-diversion-1">(.*?)</tr>', page, re.S).group(1)
    assert "designer" in row and "1 / 1" in row and "最新" in row
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row)
    assert 'href="/processes/diversion/versions/1/edit"' in row and 'href="/processes/diversion/versions/1/bpmn"' in row
    assert "compare" not in row  # nothing to compare the first version with
    assert 'href="/processes"' in page and 'aria-current="page"' in page  # the designer's navigation


def test_staff_get_a_403_page_on_every_designer_page(site):
    client = client_of(site, "sjm-squad")
    for path in ("/processes", "/processes/diversion/versions/1/edit", "/processes/diversion/versions/1/bpmn",
                 "/processes/diversion/compare?from=1&to=1"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "不允许" in response.get_data(as_text=True) or "无权" in response.get_data(as_text=True)
    answer = deploy_xml(client, edited())
    assert answer.status_code == 403 and "designer role" in answer.json["message"]
    assert 'href="/processes"' not in client.get("/inbox").get_data(as_text=True)
    assert client_of(site).get("/processes").status_code == 302  # to the login page


def test_the_modeler_page_carries_the_xml_and_the_choices_without_inline_scripts(site):
    response = client_of(site, "designer").get("/processes/diversion/versions/1/edit")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    xml = json.loads(re.search(r'<script type="application/json" id="modeler-xml">(.*?)</script>', page, re.S)
                     .group(1))
    assert xml == DIVERSION
    choices = json.loads(re.search(r'<script type="application/json" id="modeler-choices">(.*?)</script>', page,
                                   re.S).group(1))
    assert {"code": "community", "name": "社区居委会"} in choices["agency_kinds"]
    assert "diversion_on_site_handling" in choices["forms"] and "assess_priority" in choices["service_operations"]
    assert "bpmn-modeler.production.min.js" in page and "js/modeler.js" in page and "https://" not in page
    assert re.findall(r"<script(?![^>]*(?:src=|type=\"application/json\"))", page) == []
    assert "部署为新版本" in page and 'data-deploy-url="/processes/diversion/versions/1/deploy"' in page
    assert client_of(site, "designer").get("/processes/diversion/versions/7/edit").status_code == 404
    assert client_of(site, "designer").get("/processes/nope/versions/1/edit").status_code == 404


def test_deploying_from_the_modeler_makes_a_new_version_that_is_listed(site):
    client = client_of(site, "designer")
    answer = deploy_xml(client, edited())
    assert answer.status_code == 201, answer.json
    assert answer.json["version"] == 2 and answer.json["created"] is True
    assert "已部署为 diversion 的第 2 版" in answer.json["message"]
    page = client.get("/processes").get_data(as_text=True)
    assert 'id="version-diversion-2"' in page
    assert 'href="/processes/diversion/compare?from=1&amp;to=2"' in page


def test_identical_content_makes_no_new_version_and_says_so(site):
    client = client_of(site, "designer")
    answer = deploy_xml(client, DIVERSION)
    assert answer.status_code == 200
    assert (answer.json["version"], answer.json["created"]) == (1, False)
    assert "没有变化" in answer.json["message"]
    assert 'id="version-diversion-2"' not in client.get("/processes").get_data(as_text=True)


def test_a_rule_violation_or_broken_xml_is_a_422_naming_the_element(site):
    client = client_of(site, "designer")
    bad = DIVERSION.replace(CITY_DEADLINE, CITY_DEADLINE.replace("30 minutes", "soon"), 1)
    answer = deploy_xml(client, bad)
    assert answer.status_code == 422
    assert answer.json["element_id"] == "Task_CityDispatch" and answer.json["file"] == "diversion.bpmn"
    assert "deadline 'soon' is not understood" in answer.json["problem"]
    assert answer.json["title"] == "流程图无法部署"

    lane = DIVERSION.replace('name="联动处置分队"', 'name="某某队"', 1)
    answer = deploy_xml(client, lane)
    assert answer.status_code == 422 and answer.json["element_id"] == "Task_OnSiteHandling"
    assert "某某队" in answer.json["problem"]

    broken = deploy_xml(client, DIVERSION[:400])
    assert broken.status_code == 422 and broken.json["line"] and "malformed XML" in broken.json["problem"]
    assert broken.json["element_id"] is None

    assert client.post(DEPLOY, data="x", headers={"X-CSRFToken": csrf_token(client, "/processes")}) \
        .status_code == 400
    assert deploy_xml(client, "").status_code == 400
    assert client.post(DEPLOY, json={"xml": edited()}).status_code == 400  # no CSRF token
    assert deploy_xml(client, edited(), "/processes/diversion/versions/5/deploy").status_code == 404
    assert 'id="version-diversion-2"' not in client.get("/processes").get_data(as_text=True)


def test_the_compare_page_marks_what_changed_between_two_versions(site):
    client = client_of(site, "designer")
    deploy_xml(client, edited())
    response = client.get("/processes/diversion/compare?from=1&to=2")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert json.loads(unescape(re.search(r"data-changed='([^']*)'", page).group(1))) == [
        "Task_CityDispatch", "Task_OnSiteHandling"]
    assert json.loads(unescape(re.search(r"data-added='([^']*)'", page).group(1))) == []
    assert 'data-element-id="Task_CityDispatch"' in page and "现场处置（修订）" in page
    assert page.count("bpmn-navigated-viewer.production.min.js") == 1 and "js/compare.js" in page
    for bad in ("", "?from=1", "?from=x&to=2", "?from=0&to=2"):
        assert client.get(f"/processes/diversion/compare{bad}").status_code == 400, bad
    assert client.get("/processes/diversion/compare?from=1&to=3").status_code == 404


def test_a_version_downloads_as_a_bpmn_attachment(site):
    response = client_of(site, "designer").get("/processes/diversion/versions/1/bpmn")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"] == 'attachment; filename="diversion-v1.bpmn"'
    assert response.get_data(as_text=True) == DIVERSION


def test_the_designer_pages_speak_english_too(site):
    client = client_of(site, "designer", lang="en")
    assert "Cases (running / total)" in client.get("/processes").get_data(as_text=True)
    assert "Deploy as new version" in client.get("/processes/diversion/versions/1/edit").get_data(as_text=True)
    assert "Deployed as version 2" in deploy_xml(client, edited()).json["message"]
