"""Deploy BPMN/DMN sources as process versions."""

from pathlib import Path

from sqlalchemy import bindparam, func, insert, select

from engine.db import utcnow
from engine.errors import DeployError, PermissionDeniedError
from engine.models import ProcessVersion
from engine.org import get_actor
from engine.results import DeployResult
from engine.specs import parse_sources
from engine.transaction import transaction

_VERSION = ProcessVersion.__table__
_SAME_CONTENT = select(_VERSION.c.version).where(
    _VERSION.c.process_id == bindparam("pid"), _VERSION.c.content_hash == bindparam("digest"))
_LATEST = select(func.max(_VERSION.c.version)).where(_VERSION.c.process_id == bindparam("pid"))


def deploy(*, sources: dict[str, str], username: str | None = None) -> list[DeployResult]:
    """Parse and validate BPMN/DMN sources and store each process they define as a new version.

    Content already deployed for a process is not stored again. Running cases keep their version.
    Raises DeployError naming the file, the element and the problem. A named deployer must be a designer
    (or an administrator); the server's own CLI may deploy without one.
    """
    parsed = parse_sources(sources)
    results = []
    with transaction() as unit:
        deployer = get_actor(username) if username else None
        if deployer is not None and not (deployer.has_role("designer") or deployer.has_role("admin")):
            raise PermissionDeniedError(f"user {username!r} may not deploy processes: it takes the designer role")
        deployer_id = deployer.id if deployer else None
        for process in parsed:
            params = {"pid": process.process_id, "digest": process.content_hash}
            existing = unit.conn.execute(_SAME_CONTENT, params).scalar()
            if existing is not None:
                results.append(DeployResult(process.process_id, existing, created=False))
                continue
            version = (unit.conn.execute(_LATEST, params).scalar() or 0) + 1
            unit.conn.execute(insert(_VERSION).values(
                process_id=process.process_id, name=process.name, version=version,
                content_hash=process.content_hash, sources=process.sources, deployed_by_id=deployer_id,
                deployed_at=utcnow()))
            results.append(DeployResult(process.process_id, version, created=True))
    return results


def read_sources(paths: list[str]) -> dict[str, str]:
    """Read .bpmn and .dmn files, and those inside directories, keyed by file name."""
    sources: dict[str, str] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted([*path.glob("*.bpmn"), *path.glob("*.dmn")])
            if not files:
                raise DeployError(f"{raw}: the directory holds no .bpmn or .dmn file")
        elif path.is_file():
            files = [path]
        else:
            raise DeployError(f"{raw}: no such file or directory")
        for file in files:
            if file.name in sources:
                raise DeployError(f"{file}: two files are named {file.name}; file names must be unique")
            try:
                sources[file.name] = file.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise DeployError(f"{file}: not a UTF-8 text file") from None
    return sources
