"""Workflows kept in memory between commands, so a busy case is not deserialized for every command.

An entry is valid only for the case version it was saved as. A command *takes* the entry (no other
thread can use the same object) and puts the workflow back only after its transaction has committed;
a failed command leaves nothing behind, and the next one loads the case from the database.
"""

import os
import threading
from collections import OrderedDict

from SpiffWorkflow.bpmn import BpmnWorkflow


class WorkflowCache:
    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[int, tuple[int, BpmnWorkflow]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, case_id: int, version: int) -> BpmnWorkflow | None:
        """Remove and return the case's workflow if it was saved as this version."""
        with self._lock:
            entry = self._entries.pop(case_id, None)
        return entry[1] if entry is not None and entry[0] == version else None

    def put(self, case_id: int, version: int, workflow: BpmnWorkflow) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[case_id] = (version, workflow)
            self._entries.move_to_end(case_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


WORKFLOWS = WorkflowCache(int(os.environ.get("GONGZHI_WORKFLOW_CACHE_SIZE", "256")))
