"""Hooks of the sea-land linkage (海陆联动, 海上事陆上解): its script functions and service operations."""

from collections.abc import Callable

FUNCTIONS: dict[str, Callable] = {}
OPERATIONS: dict[str, Callable] = {}
