"""Functions that BPMN scripts and conditions may call. Nothing else is in their namespace."""

from processes import disputes, diversion, one_window, sea_land
from processes.registry import merged

SCRIPT_FUNCTIONS = merged("script function", diversion.FUNCTIONS, disputes.FUNCTIONS, sea_land.FUNCTIONS,
                          one_window.FUNCTIONS)
