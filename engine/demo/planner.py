"""Plan generated cases: which snapshot each one copies, where it happened, when, and at what pace."""

import random
from dataclasses import dataclass

from sqlalchemy import Connection, select

from engine.demo.templates import Snapshot
from engine.org import AGENCY

# The shipped processes and their shares of the cases (diversions of 110 incidents are most of the work).
PROCESS_SHARES = {"diversion": 0.55, "dispute_funnel": 0.25, "one_window": 0.12, "sea_land": 0.08}
RUNNING_SHARE, CANCELLED_SHARE = 0.05, 0.02  # the rest is completed
CLAIMED_SHARE = 0.4  # of the running cases, the share whose open tasks are already claimed
OVERDUE_SPREAD = 1.15  # an open task has waited up to this many times its deadline: about 13% are overdue
PACE_SIGMA = 0.4  # a case's pace is lognormal around the template's: about one task in ten ends late
POLICE_INCIDENT_SHARE = 0.5  # police matters (no case) per diverted incident
YEAR = 365 * 86_400
SLOTS_PER_STREET = 8  # every street gets the same share of the cases, whatever its number of grids


class Planner:
    """Draws the plan row (gen_case) of each generated case."""

    def __init__(self, snapshots: list[Snapshot], locations: list[int], rng: random.Random, now: int):
        self.rng, self.now, self.locations = rng, now, locations
        self.ids = {id(snapshot): index for index, snapshot in enumerate(snapshots, 1)}
        self.pools: dict[str, dict[str, list[list[Snapshot]]]] = {"completed": {}, "running": {}}
        by_template: dict[tuple[str, str, int], list[Snapshot]] = {}
        for snapshot in snapshots:
            by_template.setdefault((snapshot.status, snapshot.process_id, snapshot.template), []).append(snapshot)
        for (status, process_id, _), found in by_template.items():
            self.pools[status].setdefault(process_id, []).append(found)

    def _snapshot(self, status: str) -> Snapshot:
        # A template first (each path a process took weighs the same), then one of its waiting points.
        pool = self.pools[status] or self.pools["completed"] or self.pools["running"]
        processes = list(pool)
        process_id = self.rng.choices(processes, [PROCESS_SHARES.get(p, 0.01) for p in processes])[0]
        return self.rng.choice(self.rng.choice(pool[process_id]))

    def plan(self) -> dict:
        """One case's plan, without its id; times are epoch seconds."""
        rng, now = self.rng, self.now
        draw = rng.random()
        status = "running" if draw < RUNNING_SHARE else "cancelled" if draw < RUNNING_SHARE + CANCELLED_SHARE \
            else "completed"
        snapshot = self._snapshot("completed" if status == "completed" else "running")
        if snapshot.status == "completed":  # a process with no waiting point left to copy
            status = "completed"
        elif status == "completed":
            status = "running"
        scale = min(max(rng.lognormvariate(0, PACE_SIGMA), 0.2), 4.0)
        run = round(scale * snapshot.b_last)
        t_open = t_claim = ended = timer_at = None
        if status == "completed":
            created = now - run - rng.randrange(max(YEAR - run, 1))
            ended = updated = created + run
        else:
            span = OVERDUE_SPREAD * snapshot.open_due
            if status == "running" and snapshot.timer_offset is not None:
                span = min(span, snapshot.timer_offset - 120)  # younger than its timer: it has not fired yet
            age = rng.random() * span
            if status == "running":
                t_open = now - max(round(age), 0)
                if rng.random() < CLAIMED_SHARE:
                    t_claim = t_open + round((now - t_open) * rng.random() * 0.5)
                if snapshot.timer_offset is not None:
                    timer_at = t_open + snapshot.timer_offset
                updated = t_claim or t_open
            else:  # cancelled some time in the year, its open tasks having waited a while
                ended = updated = now - rng.randrange(86_400, YEAR - 30 * 86_400)
                t_open = ended - round(2 * age)
            created = t_open - run
        diverted = created + round(scale * snapshot.diverted_b) if snapshot.diverted_b is not None else \
            t_claim if snapshot.handling_open and status == "running" else None
        return {"snapshot_id": self.ids[id(snapshot)], "status": status,
                "location_id": self.locations[rng.randrange(len(self.locations))], "created": created,
                "scale": scale, "t_open": t_open, "t_claim": t_claim, "ended": ended, "updated": updated,
                "diverted": diverted, "timer_at": timer_at, "police_incident": rng.random() < POLICE_INCIDENT_SHARE}


@dataclass(frozen=True)
class _Agency:
    id: int
    code: str
    path: str
    kind: str
    level: str
    parent_id: int | None
    cross_area: bool


class Places:
    """The agency tree in memory: the locations cases happen at, and the candidate agency of a kind there."""

    def __init__(self, conn: Connection):
        self.agencies = {row.id: _Agency(*row) for row in conn.execute(
            select(AGENCY.c.id, AGENCY.c.code, AGENCY.c.path, AGENCY.c.kind, AGENCY.c.level, AGENCY.c.parent_id,
                   AGENCY.c.cross_area).order_by(AGENCY.c.path))}
        self.children: dict[int | None, list[_Agency]] = {}
        for agency in self.agencies.values():
            self.children.setdefault(agency.parent_id, []).append(agency)

    def location_slots(self) -> list[int]:
        """Grid ids, each street's grids repeated to SLOTS_PER_STREET entries."""
        by_street: dict[int, list[int]] = {}
        for agency in self.agencies.values():
            community = self.agencies.get(agency.parent_id) if agency.level == "grid" else None
            if community is not None and community.parent_id is not None:
                by_street.setdefault(community.parent_id, []).append(agency.id)
        return [grids[i % len(grids)] for grids in by_street.values() for i in range(SLOTS_PER_STREET)]

    def candidate(self, kind: str, location_id: int) -> _Agency | None:
        """engine.org.candidate_agency on the tree in memory (the same rule: tests/engine/test_generate.py).

        The nearest agency of the kind anchored in the location's chain (the chain's agency itself, or a
        direct child of it), the lowest id first; else the lowest-id cross-area agency of the kind.
        """
        chain, at = [], self.agencies.get(location_id)
        while at is not None:
            chain.append(at)
            at = self.agencies.get(at.parent_id)
        in_chain = {agency.id for agency in chain}
        for anchor in chain:
            found = [anchor] if anchor.kind == kind else []
            found += [child for child in self.children.get(anchor.id, [])
                      if child.kind == kind and child.id not in in_chain]
            if found:
                return min(found, key=lambda agency: agency.id)
        return min((a for a in self.agencies.values() if a.kind == kind and a.cross_area), key=lambda a: a.id,
                   default=None)
