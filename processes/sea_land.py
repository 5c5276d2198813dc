"""Hooks of the sea-land linkage (海陆联动, 海上事陆上解): its script functions and service operations.

A dispute at sea is taken in at the station (平安小苑), routed by the decision table `sea_land_route`
(bpmn/sea_land.dmn) to the maritime agencies, which verify it in parallel; the station then mediates on
land, and what cannot be settled goes to the shared court.
"""

from collections.abc import Callable

# The dispute types of the start form (sea_land_start.json), with their Chinese labels.
DISPUTE_TYPES: dict[str, str] = {
    "wage_arrears": "拖欠渔民工资",
    "crew_injury": "船员伤亡赔偿",
    "vessel_collision": "船舶碰撞",
    "gear_damage": "渔具损坏",
    "other": "其他涉海纠纷",
}


def sea_land_summarize(verifications: list) -> dict:
    """Sum up the maritime agencies' verifications for the station's mediation (信息流转).

    Each verification is {"agency_kind", "facts_confirmed", "amount_confirmed", "note"}, one per agency.
    """
    confirmed = [item for item in verifications if item.get("facts_confirmed")]
    return {
        "agencies": sorted(item["agency_kind"] for item in verifications),
        "all_confirmed": bool(verifications) and len(confirmed) == len(verifications),
        "amount_confirmed": max((item.get("amount_confirmed") or 0 for item in confirmed), default=0),
    }


FUNCTIONS: dict[str, Callable] = {"sea_land_summarize": sea_land_summarize}
OPERATIONS: dict[str, Callable] = {}
