"""The Chinese texts of the notices the platform sends (in the platform, by SMS, by email, by webhook).

Each template is formatted with named fields; the SLA monitor's own texts are in engine/sla.py's callers
through the same table, so every message a resident or an agency reads is written here once.
"""

SUBJECTS = {
    "reminder": "超时提醒", "supervision": "督办通知", "report": "超时通报", "assignment": "新任务",
    "due_soon": "即将到期", "returned": "事项退回", "closed": "办结通知",
}

TEMPLATES = {
    "assignment": "【新任务】案件 #{case_id} 的任务「{task_name}」已转至{agency}，请于 {due} 前办理。",
    "returned": "【事项退回】案件 #{case_id} 已退回，任务「{task_name}」转至{agency}。退回理由：{reason}",
    "due_soon": "【即将到期】案件 #{case_id} 的任务「{task_name}」将于 {due} 到期，请抓紧办理。",
    "closed": "【共治】您反映的事项（编号 {case_id}）已办结。感谢您的理解与支持！",
    "survey": "【共治】您反映的事项（编号 {case_id}）已处理完毕，请对处置结果评价：{link} （{days} 天内有效）",
}

NO_DEADLINE = "尽快"


def subject(kind: str) -> str:
    """The subject line of an email carrying a notice of this kind."""
    return f"【共治】{SUBJECTS.get(kind, '通知')}"
