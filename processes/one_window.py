"""Hooks of the one-window police services (一窗通办): its script functions and service operations."""

from collections.abc import Callable

FUNCTIONS: dict[str, Callable] = {}
OPERATIONS: dict[str, Callable] = {}
