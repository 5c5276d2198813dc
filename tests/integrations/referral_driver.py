"""Simulated dispatch system and agency staff working referrals end to end over HTTP, against several web
processes at once, counting every answer they get."""

import hashlib
import hmac
import json
import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache

import httpx

from engine.demo.simulate import sample_form
from processes.forms import load_form

DIVERTED = ("noise", "property_damage", "wage_dispute", "neighbour_dispute", "fishing_dispute", "illegal_parking",
            "stray_animal", "consumer_dispute", "injury_compensation", "other")
POLICE = ("theft", "assault", "traffic_accident", "fraud")
GRIDS = ("sjm-duntou-g1", "sjm-duntou-g2", "sjm-siwan-g1", "sjm-siwan-g2", "dg-haihua-g1", "dg-puxi-g1",
         "zjj-zhangzhou-g1")
MAX_TASKS_PER_CASE = 30


@dataclass
class Plan:
    """What to throw at the platform: which incidents, which are sent twice, which claims are raced."""

    referrals: int  # diverted incidents, each worked to its end
    police: int  # police business: an incident without a case
    duplicate_every: int = 20  # every n-th incident is also pushed to the other web process at once
    race_share: float = 0.05  # tasks two users of the agency try to claim at once
    unsatisfied_share: float = 0.1  # return visits answered unsatisfied (the case is handled again)
    notify_share: float = 0.3  # callers who agree to SMS (a survey link, then a closure text)
    seed: int = 7

    def incidents(self) -> list[dict]:
        rng = random.Random(self.seed)
        police_at = set(rng.sample(range(self.referrals + self.police), self.police))
        items = []
        for index in range(self.referrals + self.police):
            category = rng.choice(POLICE if index in police_at else DIVERTED)
            items.append({
                "incident_id": f"110-scale-{self.seed}-{index:05d}", "category": category,
                "location": rng.choice(GRIDS), "description": f"模拟警情 {index}：{category}",
                "reported_at": "2024-05-10T09:30:00+08:00", "caller_phone": f"1380013{index:04d}",
                "notify_caller": rng.random() < self.notify_share})
        return items


@dataclass
class Tally:
    """Everything the clients saw; filled from many threads under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)  # (what, status)
    problems: list[str] = field(default_factory=list)  # 5xx, unexpected answers, broken promises
    intake: dict[str, list[tuple[int, dict]]] = field(default_factory=lambda: defaultdict(list))
    cases: dict[int, str] = field(default_factory=dict)  # case id -> status the last answer gave
    tasks: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # case id -> task ids seen
    claims: dict[int, str] = field(default_factory=dict)  # task id -> who claimed it (200)
    refused_claims: dict[int, str] = field(default_factory=dict)  # task id -> who got 409 in a race
    completions: dict[int, str] = field(default_factory=dict)  # task id -> who completed it (200)

    def requests(self) -> int:
        return sum(self.statuses.values())

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)


@dataclass
class Staff:
    """API tokens of the integration user and of at least two staff users per agency."""

    intake_token: str
    intake_secret: str
    tokens: dict[str, str]  # username -> token
    by_agency: dict[str, list[str]]  # agency code -> usernames of its staff


@cache
def _form(name: str) -> dict:
    return load_form(name)


def form_data(form: str | None, rng: random.Random, plan: Plan) -> dict:
    """Fill a task's form as its schema allows; a return visit is mostly satisfied."""
    if not form:
        return {}
    data = sample_form(_form(form), rng)
    if "satisfied" in data:
        satisfied = rng.random() >= plan.unsatisfied_share
        data["satisfied"] = satisfied
        data["satisfaction"] = rng.choice(("satisfied", "basically_satisfied")) if satisfied else "unsatisfied"
    return data


class Driver:
    """Works referrals through the web processes; each request goes to one of them at random."""

    def __init__(self, web_urls: list[str], staff: Staff, plan: Plan):
        self.web_urls, self.staff, self.plan = web_urls, staff, plan
        self.tally = Tally()
        # One client (thread-safe) for every thread, with a keep-alive connection for each of them.
        self._http = httpx.Client(timeout=120, limits=httpx.Limits(max_connections=None, max_keepalive_connections=64))

    def close(self) -> None:
        self._http.close()

    def _send(self, what: str, method: str, url: str, **kwargs) -> httpx.Response:
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TransportError as error:
            self.tally.problem(f"{what} {method} {url}: {type(error).__name__}: {error}")
            raise
        with self.tally.lock:
            self.tally.statuses[(what, response.status_code)] += 1
        if response.status_code >= 500:
            self.tally.problem(f"{what} {method} {url} -> {response.status_code}: {response.text[:300]}")
        return response

    def _api(self, what: str, method: str, path: str, username: str, *, url: str | None = None,
             json_body: dict | None = None) -> httpx.Response:
        url = url or random.choice(self.web_urls)
        return self._send(what, method, url + path, json=json_body,
                          headers={"Authorization": f"Bearer {self.staff.tokens[username]}"})

    # --- the dispatch system ----------------------------------------------------------------------------

    def push(self, incident: dict, url: str) -> httpx.Response:
        """Push one incident, signed as the 110 dispatch system signs it."""
        body = json.dumps(incident, ensure_ascii=False).encode()
        stamp = str(int(time.time()))
        digest = hmac.new(self.staff.intake_secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        response = self._send("intake", "POST", f"{url}/api/v1/intake/110", content=body, headers={
            "Authorization": f"Bearer {self.staff.intake_token}", "Content-Type": "application/json",
            "X-Gongzhi-Timestamp": stamp, "X-Gongzhi-Signature": f"sha256={digest}"})
        with self.tally.lock:
            self.tally.intake[incident["incident_id"]].append(
                (response.status_code, response.json() if response.status_code < 500 else {}))
        return response

    def take(self, index: int, incident: dict) -> int | None:
        """Push an incident (some twice at once, to both web processes); return its case id, if any."""
        home, other = self.web_urls[index % 2], self.web_urls[(index + 1) % 2]
        if index % self.plan.duplicate_every:
            answers = [self.push(incident, home)]
        else:
            answers = _together([lambda: self.push(incident, home), lambda: self.push(incident, other)])
        codes = sorted(answer.status_code for answer in answers)
        if codes not in ([201], [200, 201]):
            self.tally.problem(f"incident {incident['incident_id']} answered {codes}: {[a.text for a in answers]}")
            return None
        receipts = {json.dumps(answer.json(), sort_keys=True) for answer in answers}
        if len(receipts) != 1:
            self.tally.problem(f"incident {incident['incident_id']}: copies answered differently: {receipts}")
        return answers[0].json()["case_id"]

    # --- the staff --------------------------------------------------------------------------------------

    def claim(self, task: dict, rng: random.Random) -> str | None:
        """Claim a task for someone of its agency (sometimes two race for it); return who holds it."""
        people = self.staff.by_agency.get(task["agency_code"] or "")
        if not people:
            self.tally.problem(f"no staff of {task['agency_code']!r} for task {task['id']} ({task['bpmn_id']})")
            return None
        path = f"/api/v1/tasks/{task['id']}/claim"
        if len(people) < 2 or rng.random() >= self.plan.race_share:
            username = rng.choice(people)
            response = self._api("claim", "POST", path, username)
            if response.status_code != 200:
                self.tally.problem(f"claim of task {task['id']} by {username}: {response.status_code} {response.text}")
                return None
            with self.tally.lock:
                self.tally.claims[task["id"]] = username
            return username
        first, second = rng.sample(people, 2)
        answers = _together([lambda: self._api("claim", "POST", path, first, url=self.web_urls[0]),
                             lambda: self._api("claim", "POST", path, second, url=self.web_urls[1])])
        won = [name for name, answer in zip((first, second), answers, strict=True) if answer.status_code == 200]
        lost = [name for name, answer in zip((first, second), answers, strict=True) if answer.status_code == 409]
        if len(won) != 1 or len(lost) != 1:
            self.tally.problem(f"claim race on task {task['id']}: {[(a.status_code, a.text) for a in answers]}")
            return won[0] if len(won) == 1 else None
        with self.tally.lock:
            self.tally.claims[task["id"]] = won[0]
            self.tally.refused_claims[task["id"]] = lost[0]
        return won[0]

    def work(self, case_id: int, rng: random.Random) -> None:
        """Take the case's open tasks, one after the other, through claim and complete until it closes."""
        case = self._api("case", "GET", f"/api/v1/cases/{case_id}", "admin").json()
        for _ in range(MAX_TASKS_PER_CASE):
            with self.tally.lock:
                self.tally.cases[case_id] = case["status"]
                self.tally.tasks[case_id].update(task["id"] for task in case["open_tasks"])
            if not case["open_tasks"]:
                return
            task = case["open_tasks"][0]
            username = self.claim(task, rng)
            if username is None:
                return
            data = form_data(task["form"], rng, self.plan)
            response = self._api("complete", "POST", f"/api/v1/tasks/{task['id']}/complete", username,
                                 json_body={"data": data})
            if response.status_code != 200:
                self.tally.problem(f"complete of task {task['id']} ({task['bpmn_id']}) by {username}: "
                                   f"{response.status_code} {response.text[:300]}")
                return
            with self.tally.lock:
                self.tally.completions[task["id"]] = username
            case = response.json()
        self.tally.problem(f"case {case_id} still open after {MAX_TASKS_PER_CASE} tasks")

    def referral(self, index: int, incident: dict) -> None:
        """Take one incident and work its case to the end; a request that gets no answer ends it (reported)."""
        rng = random.Random(self.plan.seed * 1_000_003 + index)
        try:
            case_id = self.take(index, incident)
            if case_id is not None:
                self.work(case_id, rng)
        except httpx.TransportError:
            pass  # in tally.problems already


def _together(calls) -> list[httpx.Response]:
    """Run the calls in threads released at the same moment; return their answers in order."""
    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def run(position, call):
        barrier.wait()
        try:
            answers[position] = call()
        except Exception as error:  # the caller reports what each one got
            answers[position] = error

    threads = [threading.Thread(target=run, args=(position, call)) for position, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failed = [answer for answer in answers if isinstance(answer, Exception)]
    if failed:
        raise failed[0]
    return answers
