"""Grow the demo city for a large generated history, so that each street keeps a realistic share of it.

A real city has many streets: a street's squad, police station and communities see the matters of their
own street only. The demo tree has three streets; a history of a million cases over three streets would
give one squad a third of the city. So the city grows to one street for every CASES_PER_STREET cases:
the district of the demo (普陀区) fills up to STREETS_PER_DISTRICT streets, then new districts follow, each
with the agencies a district has and, per street, a police station, a street squad, a street office, a
station, communities and grids. Every staff agency gets one user, every street and district a supervisor,
all with the demo password. Generated codes start with "gen-".
"""

import math
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from engine.db import utcnow
from engine.org import AGENCY, USER, agency_path

CASES_PER_STREET = 5_000
STREETS_PER_DISTRICT = 10
COMMUNITIES_PER_STREET = 4
GRIDS_PER_COMMUNITY = 2
# (code suffix, name suffix, kind) of the agencies under a street and under a district.
STREET_AGENCIES = (("police", "派出所", "police_station"), ("squad", "联动处置分队", "street_squad"),
                   ("office", "街道办事处", "street_office"), ("station", "平安小苑综合治理站", "station"))
DISTRICT_AGENCIES = (("dispatch", "社会治理指挥中心", "district_dispatch"), ("justice", "司法所", "justice_office"),
                     ("court", "人民法院共享法庭", "shared_court"), ("labour", "人力社保局", "labour_bureau"),
                     ("market", "市场监管所", "market_regulation"))


def streets_for(cases: int) -> int:
    """How many streets a city with this many cases a year has."""
    return math.ceil(cases / CASES_PER_STREET)


@dataclass
class _NewAgency:
    code: str
    name: str
    level: str
    kind: str
    parent: str
    staff: str | None = None  # display name of its staff user; None: no staff user
    supervisor: str | None = None  # display name of its supervisor; None: no supervisor


class _Plan:
    """The agencies to add, parents first, with the users each one gets."""

    def __init__(self):
        self.agencies: list[_NewAgency] = []

    def add(self, *args, **kwargs) -> _NewAgency:
        agency = _NewAgency(*args, **kwargs)
        self.agencies.append(agency)
        return agency

    def street(self, district_code: str, district_name: str, number: int) -> None:
        code, name = f"gen-{district_code.removeprefix('gen-')}-s{number:02d}", f"{district_name}演示{number}街道"
        self.add(code, name, "street", "street", district_code, supervisor=f"{name}督办员")
        for suffix, title, kind in STREET_AGENCIES:
            self.add(f"{code}-{suffix}", f"{name}{title}", "street", kind, code, staff=f"{name}{title}工作人员")
        for c in range(1, COMMUNITIES_PER_STREET + 1):
            community = self.add(f"{code}-c{c}", f"{name}第{c}社区", "community", "community", code,
                                 staff=f"{name}第{c}社区调解员")
            for g in range(1, GRIDS_PER_COMMUNITY + 1):
                self.add(f"{community.code}-g{g}", f"{community.name}第{g}网格", "grid", "grid", community.code)

    def district(self, city_code: str, number: int) -> tuple[str, str]:
        code, name = f"gen-d{number:02d}", f"演示第{number}区"
        self.add(code, name, "district", "district", city_code, supervisor=f"{name}督办员")
        for suffix, title, kind in DISTRICT_AGENCIES:
            self.add(f"{code}-{suffix}", f"{name}{title}", "district", kind, code, staff=f"{name}{title}工作人员")
        return code, name


def grow_city(conn: Connection, *, streets: int, password_hash: str) -> int:
    """Add streets (and districts) until the city has `streets`; return how many agencies were added."""
    rows = conn.execute(select(AGENCY.c.id, AGENCY.c.code, AGENCY.c.name, AGENCY.c.level, AGENCY.c.kind,
                               AGENCY.c.parent_id)
                        .order_by(AGENCY.c.path)).all()
    missing = streets - sum(row.kind == "street" for row in rows)
    if missing <= 0:
        return 0
    districts = [row for row in rows if row.kind == "district"]
    city = next(row for row in rows if row.level == "city" and row.parent_id is None)
    in_district = {row.id: sum(1 for r in rows if r.kind == "street" and r.parent_id == row.id) for row in districts}
    plan = _Plan()
    for district in districts:
        while missing and in_district[district.id] < STREETS_PER_DISTRICT:
            in_district[district.id] += 1
            plan.street(district.code, district.name, in_district[district.id])
            missing -= 1
    number = sum(1 for row in districts if row.code.startswith("gen-d"))  # generated districts so far
    while missing:
        number += 1
        code, name = plan.district(city.code, number)
        for street in range(1, min(missing, STREETS_PER_DISTRICT) + 1):
            plan.street(code, name, street)
            missing -= 1
    _insert(conn, plan, {row.code: row.id for row in rows}, password_hash)
    return len(plan.agencies)


def _insert(conn: Connection, plan: _Plan, ids: dict[str, int], password_hash: str) -> None:
    paths = dict(conn.execute(select(AGENCY.c.code, AGENCY.c.path)).all())
    pending = list(plan.agencies)
    while pending:  # one statement per generation: the agencies whose parents have ids
        batch = [agency for agency in pending if agency.parent in ids]
        pending = [agency for agency in pending if agency.parent not in ids]
        for agency in batch:
            paths[agency.code] = agency_path(paths[agency.parent], agency.code)
        conn.execute(insert(AGENCY), [
            {"code": a.code, "name": a.name, "level": a.level, "kind": a.kind, "parent_id": ids[a.parent],
             "path": paths[a.code], "cross_area": False} for a in batch])
        ids.update(conn.execute(select(AGENCY.c.code, AGENCY.c.id)).all())
    now = utcnow()
    users = [(f"{a.code}-supervisor", a.supervisor, a.code, "supervisor") for a in plan.agencies if a.supervisor]
    users += [(a.code, a.staff, a.code, "staff") for a in plan.agencies if a.staff]
    conn.execute(insert(USER), [
        {"username": username, "display_name": name, "agency_id": ids[code], "roles": roles, "active": True,
         "password_hash": password_hash, "created_at": now} for username, name, code, roles in users])
