"""What the designers' pages show and do: process versions with their cases, a version to edit, a comparison.

Only designers and administrators may use them (PermissionDeniedError otherwise).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from engine.db import db
from engine.deploy import deploy
from engine.diagram_diff import DiagramChanges, compare_diagrams
from engine.errors import DeployError, NotFoundError, PermissionDeniedError
from engine.models import Case, ProcessVersion, User
from engine.org import Actor, get_actor
from engine.queries import version_bpmn
from engine.results import DeployResult
from engine.specs import spec_for_version
from processes.agency_kinds import AGENCY_KINDS
from processes.deadlines import UNITS
from processes.forms import form_names
from processes.services import SERVICE_OPERATIONS

DESIGNER_ROLES = ("designer", "admin")


def require_designer(actor: Actor) -> None:
    """Raise PermissionDeniedError unless the actor designs processes (or administers the platform)."""
    if not any(actor.has_role(role) for role in DESIGNER_ROLES):
        raise PermissionDeniedError(f"user {actor.username!r} may not design processes: it takes the designer role")


@dataclass(frozen=True)
class VersionSummary:
    version: int
    content_hash: str  # the first 12 hex digits
    deployed_by: str | None
    deployed_at: datetime
    running_cases: int
    total_cases: int


@dataclass(frozen=True)
class ProcessSummary:
    process_id: str
    name: str  # the newest version's
    versions: list[VersionSummary]  # newest first


def process_overview(*, actor: Actor) -> list[ProcessSummary]:
    """Every process with its versions, who deployed each and when, and how many cases run on each."""
    require_designer(actor)
    running = func.coalesce(func.sum(case((Case.status == "running", 1), else_=0)), 0)
    rows = db.session.execute(
        select(ProcessVersion.process_id, ProcessVersion.name, ProcessVersion.version, ProcessVersion.content_hash,
               ProcessVersion.deployed_at, User.username, func.count(Case.id).label("total"),
               running.label("running"))
        .outerjoin(User, ProcessVersion.deployed_by_id == User.id)
        .outerjoin(Case, Case.process_version_id == ProcessVersion.id)
        .group_by(ProcessVersion.id, User.username)
        .order_by(ProcessVersion.process_id, ProcessVersion.version.desc())).all()
    processes: dict[str, ProcessSummary] = {}
    for row in rows:
        summary = processes.setdefault(row.process_id, ProcessSummary(row.process_id, row.name, []))
        summary.versions.append(VersionSummary(row.version, row.content_hash[:12], row.username, row.deployed_at,
                                               int(row.running), int(row.total)))
    return list(processes.values())


@dataclass(frozen=True)
class ModelerChoices:
    """What the modeler's properties form offers: the values the platform accepts."""

    agency_kinds: list[dict[str, str]]  # [{code, name}]; a lane is named by the kind's name
    forms: list[str]
    service_operations: list[str]
    deadline_units: list[str]  # processes/deadlines.py: a positive number, then one of these


@dataclass(frozen=True)
class VersionSource:
    process_id: str
    name: str
    version: int
    latest_version: int
    filename: str
    xml: str
    choices: ModelerChoices


def _version_row(process_id: str, version: int):
    row = db.session.execute(
        select(ProcessVersion.id, ProcessVersion.name, ProcessVersion.content_hash, ProcessVersion.sources)
        .where(ProcessVersion.process_id == process_id, ProcessVersion.version == version)).first()
    if row is None:
        raise NotFoundError(f"process {process_id!r} has no version {version}")
    return row


def _filename(row, process_id: str) -> str:
    return spec_for_version(row.id, row.content_hash, process_id, lambda: row.sources).spec.file


def modeler_choices() -> ModelerChoices:
    """The agency kinds, forms, service operations and deadline units a diagram may use."""
    return ModelerChoices(
        agency_kinds=[{"code": kind.code, "name": kind.name} for kind in AGENCY_KINDS],
        forms=form_names(), service_operations=sorted(SERVICE_OPERATIONS), deadline_units=sorted(UNITS))


def version_source(process_id: str, version: int, *, actor: Actor) -> VersionSource:
    """A version's BPMN file to open in the modeler, and what its properties may be set to."""
    require_designer(actor)
    row = _version_row(process_id, version)
    latest = db.session.scalar(select(func.max(ProcessVersion.version))
                               .where(ProcessVersion.process_id == process_id))
    filename = _filename(row, process_id)
    return VersionSource(process_id, row.name, version, latest, filename, row.sources[filename], modeler_choices())


def deploy_edited_version(*, process_id: str, based_on: int, xml: str, username: str) -> DeployResult:
    """Deploy an edited BPMN file of a version as a new version of the same process.

    The version's other files (the decision tables and called processes it needs) are deployed with it
    unchanged. Content identical to a stored version creates nothing (`created` is False). Raises
    DeployError naming the file, element and problem, as `deploy` does.
    """
    require_designer(get_actor(username))  # before parsing: a user who may not deploy learns that first
    row = _version_row(process_id, based_on)
    filename = _filename(row, process_id)
    results = deploy(sources={**row.sources, filename: xml}, username=username)
    result = next((result for result in results if result.process_id == process_id), None)
    if result is None:
        raise DeployError(f"{filename}: the diagram no longer defines the process {process_id!r}; "
                          f"keep the process id {process_id!r}",
                          details={"file": filename, "element": process_id, "line": None,
                                   "problem": f"the process id must stay {process_id!r}"})
    return result


@dataclass(frozen=True)
class VersionComparison:
    process_id: str
    name: str
    from_version: int
    to_version: int
    from_xml: str
    to_xml: str
    changes: DiagramChanges


def compare_versions(process_id: str, from_version: int, to_version: int, *, actor: Actor) -> VersionComparison:
    """Two versions of a process side by side: their BPMN and what was added, removed and changed."""
    require_designer(actor)
    name = _version_row(process_id, to_version).name
    old, new = version_bpmn(process_id, from_version), version_bpmn(process_id, to_version)
    return VersionComparison(process_id, name, from_version, to_version, old, new, compare_diagrams(old, new))


def version_download(process_id: str, version: int, *, actor: Actor) -> tuple[str, str]:
    """The file name to save a version's BPMN under, and its XML."""
    require_designer(actor)
    return f"{process_id}-v{version}.bpmn", version_bpmn(process_id, version)
