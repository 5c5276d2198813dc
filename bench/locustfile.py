"""Agency staff working their inbox over HTTP: the load that bench/http_load.py drives with locust.

Run by bench/http_load.py as `locust -f bench/locustfile.py --headless ...` (never imported by the
project or by pytest: locust patches the standard library with gevent). The bench passes, in the
environment:

  GONGZHI_BENCH_STAFF    a JSON file: [{"username", "password", "agency", "slot", "slots"}, ...], one per
                         virtual user
  GONGZHI_BENCH_RESULT   where to write the figures of the measured window (JSON); its name + ".window"
                         is written when the window opens
  GONGZHI_BENCH_WARMUP   seconds between the last login and the start of the measured window
  GONGZHI_BENCH_MEASURE  seconds measured; then locust stops
  GONGZHI_BENCH_THINK    mean seconds a user waits between two actions

Each virtual user is one staff member of a street squad or a community, logged in with a password like a
browser (session cookie; the API calls carry the page's CSRF token in X-CSRFToken). It reads its agency's
inbox page often, looks at its own claimed tasks, opens case pages, and works a task: the agency's
unclaimed tasks from the API, claim one, open its page, fetch its form's JSON Schema, complete it with
data filled from the schema, then land on the case page. Two users of one agency never want the same
task: a user takes only the tasks whose hashed id % slots == its slot, so a 409 would be a real bug.
"""

import itertools
import json
import os
import random
import re
import resource
import time
import zlib

import gevent
from locust import FastHttpUser, events, task

from engine.demo.simulate import sample_form

with open(os.environ["GONGZHI_BENCH_STAFF"], encoding="utf-8") as _staff:
    STAFF = json.load(_staff)
WARMUP = float(os.environ.get("GONGZHI_BENCH_WARMUP", "10"))
MEASURE = float(os.environ.get("GONGZHI_BENCH_MEASURE", "60"))
THINK = float(os.environ.get("GONGZHI_BENCH_THINK", "0.1"))
INBOX_PAGE_SIZE = 50
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')

_identities = itertools.count()
_logged_in = 0
_counts = {"tasks_completed": 0, "no_own_task": 0}
_window: dict[str, float] = {}


def owner(task_id: int, slots: int) -> int:
    """Which of an agency's users may take a task: a hash, since the ids of one agency's tasks may share a stride."""
    return zlib.crc32(str(task_id).encode()) % slots


class Staff(FastHttpUser):
    def wait_time(self) -> float:
        return self.rng.uniform(0, 2 * THINK)

    def on_start(self) -> None:
        global _logged_in
        index = next(_identities)
        self.me = STAFF[index % len(STAFF)]
        self.rng = random.Random(index)
        self.cases: list[int] = []
        try:
            self._log_in()
        finally:  # a failed login is a failure in the figures; the others still start measuring
            _logged_in += 1

    def _log_in(self) -> None:
        login = self._call("GET", "/login", "login_page")
        token = CSRF_INPUT.search(login.text or "")
        self._call("POST", "/login", "login", expect=302, data={
            "csrf_token": token.group(1) if token else "", "username": self.me["username"],
            "password": self.me["password"]})
        page = self._call("GET", "/inbox?view=agency", "inbox_page")
        meta = CSRF_META.search(page.text or "")
        self.csrf = meta.group(1) if meta else ""

    def _call(self, method: str, path: str, name: str, *, expect: int = 200, **kwargs):
        """One request; anything but the expected status (a redirect to /login too) is a failure."""
        with self.client.request(method, path, name=name, allow_redirects=False, catch_response=True,
                                 **kwargs) as response:
            if response.status_code != expect:
                response.failure(f"HTTP {response.status_code} (expected {expect}): {(response.text or '')[:300]}")
            elif expect == 200 and response.headers.get("Content-Type", "").startswith("application/json"):
                try:
                    response.json()
                except ValueError:
                    response.failure("the response is not JSON")
        return response

    def _post_json(self, path: str, name: str, body: dict | None = None):
        return self._call("POST", path, name, json=body or {}, headers={"X-CSRFToken": self.csrf})

    @task(4)
    def inbox_page(self) -> None:
        self._call("GET", "/inbox?view=agency", "inbox_page")

    @task(1)
    def my_tasks_page(self) -> None:
        self._call("GET", "/inbox?view=mine", "mine_page")

    @task(2)
    def case_page(self) -> None:
        if self.cases:
            self._call("GET", f"/cases/{self.rng.choice(self.cases)}", "case_page")
        else:
            self.work_a_task()

    @task(1)
    def work_a_task(self) -> None:
        inbox = self._call("GET", f"/api/v1/tasks?view=agency&page_size={INBOX_PAGE_SIZE}", "api_inbox")
        if inbox.status_code != 200:
            return
        items = inbox.json()["items"]
        self.cases = [item["case_id"] for item in items][:20] or self.cases
        mine = [item for item in items if owner(item["id"], self.me["slots"]) == self.me["slot"]]
        if not mine:
            _counts["no_own_task"] += 1
            return
        task_id = mine[0]["id"]
        if self._post_json(f"/api/v1/tasks/{task_id}/claim", "api_claim").status_code != 200:
            return
        self._call("GET", f"/tasks/{task_id}", "task_page")
        form = self._call("GET", f"/api/v1/tasks/{task_id}/form", "api_form")
        if form.status_code != 200:
            return
        case = self._post_json(f"/api/v1/tasks/{task_id}/complete", "api_complete",
                               {"data": sample_form(form.json(), self.rng)})
        if case.status_code != 200:
            return
        _counts["tasks_completed"] += 1
        self._call("GET", f"/cases/{case.json()['id']}", "case_page")


def _measure(environment) -> None:
    """Reset the figures once every user has logged in and warmed up; stop after MEASURE seconds."""
    while _logged_in < environment.parsed_options.num_users:
        gevent.sleep(0.2)
    gevent.sleep(WARMUP)
    environment.runner.stats.reset_all()
    _counts.update(tasks_completed=0, no_own_task=0)
    _window["start"], _window["cpu_start"] = time.time(), _cpu_seconds()
    with open(os.environ["GONGZHI_BENCH_RESULT"] + ".window", "w") as marker:  # the bench samples CPU now
        marker.write(str(_window["start"]))
    gevent.sleep(MEASURE)
    _window["end"], _window["cpu_end"] = time.time(), _cpu_seconds()
    environment.runner.quit()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@events.test_start.add_listener
def _start_measuring(environment, **_kwargs) -> None:
    gevent.spawn(_measure, environment)


@events.quitting.add_listener
def _write_result(environment, **_kwargs) -> None:
    if "end" not in _window:  # stopped before the window closed (--run-time bound, Ctrl+C): no figures
        return
    seconds = _window["end"] - _window["start"]
    stats = environment.runner.stats
    endpoints = {
        entry.name: {"method": entry.method, "requests": entry.num_requests, "failures": entry.num_failures,
                     "rps": entry.num_requests / seconds, "p50_ms": entry.get_response_time_percentile(0.5),
                     "p99_ms": entry.get_response_time_percentile(0.99), "mean_ms": entry.avg_response_time}
        for entry in stats.entries.values() if entry.num_requests}
    result = {"seconds": seconds, "users": len(STAFF), "requests": stats.total.num_requests,
              "failures": stats.total.num_failures, "rps": stats.total.num_requests / seconds,
              "p50_ms": stats.total.get_response_time_percentile(0.5),
              "p99_ms": stats.total.get_response_time_percentile(0.99),
              "endpoints": endpoints, "errors": [error.to_dict() for error in stats.errors.values()],
              "exceptions": [item["msg"] for item in environment.runner.exceptions.values()],
              "locust_cpu_seconds": _window["cpu_end"] - _window["cpu_start"], **_counts}
    with open(os.environ["GONGZHI_BENCH_RESULT"], "w", encoding="utf-8") as file:
        json.dump(result, file, ensure_ascii=False)
