"""Files made from indicators and case lists: the printable HTML report, XLSX workbooks, CSV."""

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator

from flask import render_template
from openpyxl import Workbook

from engine.case_export import EXPORT_COLUMNS
from engine.reports import period_label

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header

# Every indicator the report shows, by group, with its Chinese label.
GROUPS = {
    "incidents": ("警情", {"total": "警情总数", "non_police": "非警务类警情", "non_police_share": "非警务类占比（%）"}),
    "handling": ("流转办理", {
        "cases": "案件数", "taken_in": "受理分流事项", "closed_by_period_end": "期末已办结",
        "closure_rate": "处置率/办结率（%）", "closed": "本期办结", "on_time_closure_rate": "按期办结率（%）",
        "handling_hours_avg": "平均处置时长（小时）", "handling_hours_median": "处置时长中位数（小时）",
        "divert_minutes_avg": "平均分流用时（分钟）"}),
    "return_visits": ("回访", {
        "visits": "回访数", "satisfied": "满意数", "satisfaction_rate": "满意率（%）", "tasks_closed": "办结任务",
        "returned": "退回任务", "return_rate": "回退率（%）", "reopened": "重办事项", "redo_rate": "重办率（%）"}),
    "disputes": ("矛盾纠纷", {
        "entered": "受理纠纷", "closed": "已化解/结案", "open": "未结", "judicially_confirmed": "司法确认",
        "mediation_success_rate": "调解成功率（%）", "resolved_without_court_share": "未进法庭化解占比（%）"}),
    "sla": ("时限督办", {
        "tasks_with_deadline": "有时限任务", "on_time": "按时完成", "on_time_rate": "按时率（%）",
        "overdue": "超时任务", "supervision_notices": "督办通知"}),
    "year_on_year": ("同比", {"cases": "案件数同比", "incidents": "警情数同比"}),
}
LEVELS = {"community": "社区调解", "street": "街道调解", "joint": "联调联处", "court": "共享法庭立案"}
TIERS = {"city": "市级", "district": "区级", "street": "街道", "community": "社区", "grid": "网格", "none": "无单位"}


def figure_rows(figures: dict) -> list[tuple[str, str, dict]]:
    """(group label, indicator label, figure) of every indicator in a report, in order."""
    rows = []
    for group, (group_label, labels) in GROUPS.items():
        for key, label in labels.items():
            rows.append((group_label, label, figures[group][key]))
        if group == "disputes":
            rows += [(group_label, f"化解于{LEVELS[level]}", item)
                     for level, item in figures["disputes"]["resolved_at"].items()]
    return rows


def report_title(report: dict) -> str:
    return f"{report['agency_name']} {period_label(report['kind'], report['period_start'], report['period_end'])}"


def report_html(report: dict) -> str:
    return render_template("reports/report.html", report=report, rows=figure_rows(report["figures"]),
                           title=report_title(report), tiers=TIERS)


def _saved(workbook: Workbook) -> tempfile.SpooledTemporaryFile:
    # Sent and closed by the response; past 8 MB it spills to a temporary file instead of memory.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    workbook.save(spool)
    spool.seek(0)
    return spool


def report_xlsx(report: dict):
    """The report as a workbook: the indicators, on-time by agency and by tier. Returns a file to send."""
    figures = report["figures"]
    book = Workbook(write_only=True)
    summary = book.create_sheet("指标")
    summary.append([report_title(report)])
    summary.append(["类别", "指标", "本期", "上期", "变化", "变化率（%）"])
    for group, label, item in figure_rows(figures):
        summary.append([group, label, item["value"], item["previous"], item["change"], item["change_pct"]])
    agencies = book.create_sheet("按单位")
    agencies.append(["单位编码", "单位", "层级", "有时限任务", "按时完成", "按时率（%）", "超时", "督办通知"])
    for row in figures["sla"]["by_agency"]:
        agencies.append([row["agency"], row["name"], TIERS.get(row["tier"] or "none"), row["with_deadline"],
                         row["on_time"], row["on_time_rate"], row["overdue"], row["supervision_notices"]])
    tiers = book.create_sheet("按层级")
    tiers.append(["层级", "有时限任务", "按时完成", "按时率（%）", "超时", "督办通知"])
    for row in figures["sla"]["by_tier"]:
        tiers.append([TIERS.get(row["tier"], row["tier"]), row["with_deadline"], row["on_time"], row["on_time_rate"],
                      row["overdue"], row["supervision_notices"]])
    return _saved(book)


def cases_csv(rows: Iterable[dict]) -> Iterator[str]:
    """CSV text in pieces, a header first; a BOM so spreadsheet programs read the Chinese right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([header for _, header in EXPORT_COLUMNS])
    yield "\ufeff" + flush()
    for index, row in enumerate(rows, 1):
        writer.writerow([row[key] for key, _ in EXPORT_COLUMNS])
        if index % 500 == 0:
            yield flush()
    yield flush()


def cases_xlsx(rows: Iterable[dict]):
    """A workbook of the cases (at most a worksheet's rows), written row by row. Returns a file to send."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("案件")
    sheet.append([header for _, header in EXPORT_COLUMNS])
    for index, row in enumerate(rows):
        if index >= XLSX_MAX_ROWS:
            break
        sheet.append([row[key] for key, _ in EXPORT_COLUMNS])
    return _saved(book)
