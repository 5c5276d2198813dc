"""The indicators, periodic reports and case export over HTTP."""

import csv
import io

from openpyxl import load_workbook

from engine import start_case
from engine.reports import generate_due_reports, list_reports
from tests.engine.history import add_case, local
from tests.web.api_client import as_user

NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "噪音扰民"}
JUNE = "from=2025-06-01&to=2025-07-01"


def test_a_supervisor_gets_the_indicators_of_their_area(app, demo):
    add_case(created="2025-06-02 10:00", completed="2025-06-02 14:00", closure="diverted")
    add_case(created="2025-06-03 10:00", location="dg-haihua-g1")
    sjm = as_user(app, "sjm-supervisor")
    body = sjm.get(f"/indicators?{JUNE}").get_json()
    assert body["filters"]["agency"] == "shenjiamen"
    assert body["handling"]["cases"]["value"] == 1
    assert body["handling"]["handling_hours_avg"]["value"] == 4
    assert body["previous_period"] == {"from": "2025-05-01", "to": "2025-06-01"}
    city = as_user(app, "city-supervisor").get(f"/indicators?{JUNE}").get_json()
    assert city["handling"]["cases"]["value"] == 2
    # `to` defaults to a month after `from`
    assert sjm.get("/indicators?from=2025-06-01").get_json()["period"] == {"from": "2025-06-01", "to": "2025-07-01"}
    assert sjm.get(f"/indicators?{JUNE}&agency=sjm-duntou").status_code == 200
    outside = sjm.get(f"/indicators?{JUNE}&agency=donggang")
    assert outside.status_code == 403 and "outside the area" in outside.get_json()["detail"]
    assert as_user(app, "sjm-squad").get(f"/indicators?{JUNE}").status_code == 403


def test_bad_filters_are_refused_with_a_message_for_each_field(app, demo):
    client = as_user(app, "admin")
    response = client.get("/indicators?tier=planet&from=2025-13-01")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"tier", "from"}
    response = client.get("/indicators?agency=nowhere&process=nothing")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"agency", "process"}
    response = client.get("/indicators?from=2025-06-02&to=2025-06-01")
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"to"}
    response = client.get(f"/indicators/trend?{JUNE}&metric=nonsense")
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"metric"}


def test_the_trend_of_one_indicator(app, demo):
    add_case(created="2025-06-02 10:00")
    add_case(created="2025-06-09 10:00")
    body = as_user(app, "admin").get(f"/indicators/trend?{JUNE}&metric=cases&granularity=week").get_json()
    assert [(p["start"], p["value"]) for p in body["points"]][:3] == [
        ("2025-06-01", 0), ("2025-06-02", 1), ("2025-06-09", 1)]


def test_reports_are_listed_and_downloaded_as_html_and_xlsx(app, demo):
    add_case(created="2025-06-02 10:00", completed="2025-06-02 14:00", closure="diverted")
    generate_due_reports(now=local("2025-07-02 09:00"))
    sjm = as_user(app, "sjm-supervisor")
    listed = sjm.get("/reports?kind=monthly").get_json()
    assert [(item["agency"], item["period_start"]) for item in listed["items"]] == [("shenjiamen", "2025-06-01")]
    report_id = listed["items"][0]["id"]
    assert sjm.get(f"/reports/{report_id}").get_json()["figures"]["handling"]["closed"]["value"] == 1
    page = sjm.get(f"/reports/{report_id}.html")
    assert page.status_code == 200 and page.content_type.startswith("text/html")
    assert "沈家门街道 月报 2025-06-01 至 2025-06-30" in page.get_data(as_text=True)
    workbook = sjm.get(f"/reports/{report_id}.xlsx")
    assert workbook.status_code == 200
    sheets = load_workbook(io.BytesIO(workbook.data))
    rows = list(sheets["指标"].iter_rows(values_only=True))
    assert rows[0][0] == "沈家门街道 月报 2025-06-01 至 2025-06-30"
    assert ("流转办理", "本期办结", 1, 0, 1, None) in rows
    dg_report = list_reports(actor=None, agency_code="donggang").items[0]["id"]
    assert sjm.get(f"/reports/{dg_report}.html").status_code == 404
    assert as_user(app, "sjm-squad").get("/reports").status_code == 403


def test_a_case_list_is_exported_with_its_filters(app, demo):
    for _ in range(3):
        start_case(process_id="diversion", data=NOISE, username="sjm-police")
    start_case(process_id="diversion", data={**NOISE, "category": "theft"}, username="sjm-police")  # completed
    client = as_user(app, "sjm-police")
    response = client.get("/cases/export?status=running")
    assert response.status_code == 200 and response.content_type.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["案件编号", "流程", "流程名称"]
    assert len(rows) == 4 and {row[7] for row in rows[1:]} == {"noise"}
    workbook = client.get("/cases/export?format=xlsx")
    sheet = load_workbook(io.BytesIO(workbook.data))["案件"]
    assert sheet.max_row == 5
    assert client.get("/cases/export?agency=nowhere").status_code == 404
    assert client.get("/cases/export?format=pdf").status_code == 422
