"""Parse BPMN/DMN sources into process specs, check the platform's rules, cache specs per version."""

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.errors import DeployError
from engine.spec_rules import check_platform_rules

SPIFF_NS = {"spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
_VALIDATOR = BpmnValidator()


@dataclass(frozen=True)
class ParsedProcess:
    process_id: str
    name: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    sources: dict[str, str]  # only the files this process needs

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for filename in sorted(self.sources):
            digest.update(filename.encode() + b"\0" + self.sources[filename].encode() + b"\0")
        return digest.hexdigest()


def _deploy_error(problem: str, *, file: str = "", element: str = "", line: int | str = "") -> DeployError:
    where = ", ".join(part for part in (file, f"line {line}" if line else "", element) if part)
    return DeployError(
        f"{where}: {problem}" if where else problem,
        details={"file": file, "element": element, "line": line or None, "problem": problem},
    )


def _from_spiff(error: SpiffWorkflowException, default_file: str = "") -> DeployError:
    file = getattr(error, "file_name", "") or default_file
    element_id = getattr(error, "id", "") or getattr(getattr(error, "task_spec", None), "bpmn_id", "") or ""
    element_name = getattr(error, "name", "") or ""
    element = f"{element_id} ({element_name})" if element_name else element_id
    message = str(error.args[0]) if error.args else str(error)
    return _deploy_error(message, file=file, element=element, line=getattr(error, "line_number", ""))


def _load_sources(sources: dict[str, str]) -> SpiffBpmnParser:
    if not sources:
        raise DeployError("no BPMN or DMN files given")
    parser = SpiffBpmnParser(validator=_VALIDATOR)
    for filename in sorted(sources):
        if not filename.endswith((".bpmn", ".dmn")):
            raise _deploy_error("only .bpmn and .dmn files can be deployed", file=filename)
        try:
            root = etree.fromstring(sources[filename].encode("utf-8"))
        except etree.XMLSyntaxError as error:
            raise _deploy_error(f"malformed XML: {error.msg}", file=filename, line=error.lineno) from None
        try:
            if filename.endswith(".dmn"):
                parser.add_dmn_xml(root, filename=filename)
            else:
                parser.add_bpmn_xml(root, filename=filename)
        except SpiffWorkflowException as error:
            raise _from_spiff(error, filename) from None
    return parser


def _needed_sources(parser: SpiffBpmnParser, process_id: str, called: dict, sources: dict) -> dict[str, str]:
    files = set()
    for pid in [process_id, *called]:
        process_parser = parser.get_process_parser(pid)
        files.add(process_parser.filename)
        for decision_id in process_parser.node.xpath(".//spiffworkflow:calledDecisionId/text()",
                                                     namespaces=SPIFF_NS):
            dmn_parser = parser.dmn_parsers.get(decision_id.strip())
            if dmn_parser is not None:
                files.add(dmn_parser.filename)
    return {name: sources[name] for name in sorted(files)}


def parse_sources(sources: dict[str, str]) -> list[ParsedProcess]:
    """Parse and validate BPMN/DMN sources; return every executable process they define."""
    parser = _load_sources(sources)
    processes = []
    for process_id in sorted(parser.get_process_ids()):
        process_parser = parser.get_process_parser(process_id)
        if not process_parser.process_executable:
            continue
        # SpiffWorkflow names its own start and end task specs so: an element with such an id vanishes.
        for element in process_parser.node.xpath(".//*[@id='Start' or @id='End' or @id='Root']"):
            raise _deploy_error(f"element id {element.get('id')!r} is reserved by the engine; rename it",
                                file=process_parser.filename, element=element.get("id"),
                                line=element.sourceline)
        try:
            spec = parser.get_spec(process_id)
            called = parser.get_subprocess_specs(process_id)
        except SpiffWorkflowException as error:
            raise _from_spiff(error, process_parser.filename) from None
        for problem in check_platform_rules([spec, *called.values()]):
            raise _deploy_error(problem.message, file=problem.file, element=problem.element)
        processes.append(ParsedProcess(
            process_id=process_id,
            name=process_parser.get_name() or process_id,
            spec=spec,
            subprocess_specs=called,
            sources=_needed_sources(parser, process_id, called, sources),
        ))
    if not processes:
        raise DeployError("the files define no executable process (isExecutable=\"true\")")
    return processes


_cache: dict[tuple[int, str], ParsedProcess] = {}
_cache_lock = threading.Lock()


def spec_for_version(version_id: int, content_hash: str, process_id: str,
                     sources: Callable[[], dict[str, str]]) -> ParsedProcess:
    """Return the parsed spec of a stored process version; its sources are read and parsed only once."""
    # The hash is part of the key so that a reset database reusing an id never gets another spec.
    key = (version_id, content_hash)
    parsed = _cache.get(key)
    if parsed is None:
        parsed = next(p for p in parse_sources(sources()) if p.process_id == process_id)
        with _cache_lock:
            parsed = _cache.setdefault(key, parsed)
    return parsed


__all__ = ["ParsedProcess", "parse_sources", "spec_for_version"]
