"""What changed between two versions of a diagram, element by element (flow nodes, lanes, sequence flows)."""

from dataclasses import dataclass

from lxml import etree

from engine.errors import InvalidInputError
from engine.queries import version_bpmn

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_CONTAINERS = {f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}subProcess", f"{{{BPMN_NS}}}transaction",
               f"{{{BPMN_NS}}}adHocSubProcess"}
_LANE = f"{{{BPMN_NS}}}lane"
# Not part of what an element is: the flows it touches change with the flows themselves (which are compared),
# and a nested lane set is compared lane by lane.
_IGNORED_CHILDREN = {f"{{{BPMN_NS}}}incoming", f"{{{BPMN_NS}}}outgoing", f"{{{BPMN_NS}}}laneSet",
                     f"{{{BPMN_NS}}}childLaneSet"}


@dataclass(frozen=True)
class DiagramChanges:
    added: list[str]
    removed: list[str]
    changed: list[str]
    names: dict[str, str]  # element id -> its name (in the newer version when it has both)

    def as_dict(self) -> dict[str, list[str]]:
        return {"added": self.added, "removed": self.removed, "changed": self.changed}


def _signature(element, tracked: set) -> tuple:
    """Everything an element says about itself, without the tracked elements nested in it."""
    children = tuple(_signature(child, tracked) for child in element
                     if isinstance(child.tag, str) and child.tag not in _IGNORED_CHILDREN and child not in tracked)
    return (element.tag, tuple(sorted(element.attrib.items())), (element.text or "").strip(), children)


def _tracked(root) -> list:
    """The flow elements of every process and sub-process, and every lane."""
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.get("id"):
            continue
        parent = element.getparent()
        if element.tag == _LANE or (parent is not None and parent.tag in _CONTAINERS
                                    and element.tag.startswith(f"{{{BPMN_NS}}}")
                                    and element.tag not in _IGNORED_CHILDREN
                                    and etree.QName(element).localname not in ("documentation", "extensionElements")):
            found.append(element)
    return found


def _elements(xml: str) -> dict[str, tuple[tuple, str]]:
    try:
        root = etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError as error:
        raise InvalidInputError(f"the diagram is not well-formed XML: {error.msg}") from None
    tracked = _tracked(root)
    members = set(tracked)
    return {element.get("id"): (_signature(element, members), element.get("name") or "") for element in tracked}


def compare_diagrams(old_xml: str, new_xml: str) -> DiagramChanges:
    """Compare two BPMN documents: the ids of the elements added, removed and changed (same id, other content).

    Layout (BPMN DI) is not compared: moving a shape is not a change of the process.
    """
    old, new = _elements(old_xml), _elements(new_xml)
    names = {element_id: name for element_id, (_, name) in (old | new).items()}
    return DiagramChanges(
        added=sorted(set(new) - set(old)),
        removed=sorted(set(old) - set(new)),
        changed=sorted(element_id for element_id in set(old) & set(new) if old[element_id][0] != new[element_id][0]),
        names=names,
    )


def diagram_changes(process_id: str, from_version: int, to_version: int) -> dict[str, list[str]]:
    """Compare the BPMN of two versions of a process: {added: [ids], removed: [ids], changed: [ids]}.

    Raises NotFoundError when either version does not exist.
    """
    return compare_diagrams(version_bpmn(process_id, from_version), version_bpmn(process_id, to_version)).as_dict()
