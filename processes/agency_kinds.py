"""The agency kinds a lane may name, with the Chinese name a diagram's lane uses."""

from dataclasses import dataclass


@dataclass(frozen=True)
class AgencyKind:
    code: str
    name: str


AGENCY_KINDS: tuple[AgencyKind, ...] = (
    AgencyKind("city", "市级"),
    AgencyKind("district", "区级"),
    AgencyKind("street", "街道"),
    AgencyKind("grid", "网格"),
    AgencyKind("city_dispatch", "市指挥中心"),
    AgencyKind("district_dispatch", "区指挥中心"),
    AgencyKind("police_station", "派出所"),
    AgencyKind("station", "平安小苑"),
    AgencyKind("street_squad", "联动处置分队"),
    AgencyKind("street_office", "街道办事处"),
    AgencyKind("community", "社区居委会"),
    AgencyKind("justice_office", "司法所"),
    AgencyKind("shared_court", "共享法庭"),
    AgencyKind("maritime_office", "海事处"),
    AgencyKind("labour_bureau", "人力社保局"),
    AgencyKind("city_management", "城管中队"),
    AgencyKind("market_regulation", "市场监管所"),
)

_BY_NAME = {kind.name: kind for kind in AGENCY_KINDS}
_BY_CODE = {kind.code: kind for kind in AGENCY_KINDS}


def kind_for_lane(lane: str | None) -> AgencyKind | None:
    """Return the agency kind a lane names, by its Chinese name or its code."""
    if not lane:
        return None
    lane = lane.strip()
    return _BY_NAME.get(lane) or _BY_CODE.get(lane)


def kind_for_code(code: str) -> AgencyKind | None:
    """Return the agency kind with this code."""
    return _BY_CODE.get(code)
