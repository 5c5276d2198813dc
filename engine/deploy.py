"""Deploy BPMN/DMN sources as process versions."""

from pathlib import Path

from sqlalchemy import func, select

from engine.db import db
from engine.errors import DeployError
from engine.models import ProcessVersion
from engine.org import get_actor
from engine.results import DeployResult
from engine.specs import parse_sources
from engine.transaction import transaction


def deploy(*, sources: dict[str, str], username: str | None = None) -> list[DeployResult]:
    """Parse and validate BPMN/DMN sources and store each process they define as a new version.

    Content already deployed for a process is not stored again. Running cases keep their version.
    Raises DeployError naming the file, the element and the problem.
    """
    parsed = parse_sources(sources)
    results = []
    with transaction():
        deployer = get_actor(username) if username else None
        for process in parsed:
            digest = process.content_hash
            existing = db.session.scalar(select(ProcessVersion).where(
                ProcessVersion.process_id == process.process_id, ProcessVersion.content_hash == digest))
            if existing is not None:
                results.append(DeployResult(process.process_id, existing.version, created=False))
                continue
            latest = db.session.scalar(select(func.max(ProcessVersion.version)).where(
                ProcessVersion.process_id == process.process_id)) or 0
            db.session.add(ProcessVersion(
                process_id=process.process_id, name=process.name, version=latest + 1, content_hash=digest,
                sources=process.sources, deployed_by_id=deployer.id if deployer else None,
            ))
            results.append(DeployResult(process.process_id, latest + 1, created=True))
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
