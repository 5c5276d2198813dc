"""Service operations that BPMN service tasks call by name.

An operation takes keyword parameters (evaluated from task data) and returns JSON-safe data.
"""

from processes import disputes, diversion, one_window, sea_land
from processes.registry import merged

SERVICE_OPERATIONS = merged("service operation", diversion.OPERATIONS, disputes.OPERATIONS, sea_land.OPERATIONS,
                            one_window.OPERATIONS)
