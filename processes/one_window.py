"""Hooks of the one-window police services (一窗通办): the service catalogue and its service operations.

The station (平安小苑) offers 94 police administrative services at one window: front-desk intake,
back-office approval at the police station, single pick-up window (前台受理、后台审批、统一出件).
The catalogue below is a representative subset. Which path an item takes (instant at the desk or
back-office approval), whether it needs a photo and how often it may be sent back for missing
materials are decided by the table `one_window_route` in bpmn/one_window.dmn; tests check that the
table and this catalogue agree.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from hashlib import sha256

MAX_SUPPLEMENTS = 2  # the back office may send an item back for missing materials at most twice


@dataclass(frozen=True)
class ServiceItem:
    code: str
    name: str
    materials: tuple[str, ...]  # required materials (申请材料)
    needs_approval: bool  # False: done at the front desk at once (即办件)
    photo_required: bool  # needs a compliant ID photo (一窗通拍)
    deadline_working_days: int  # promised time to completion (承诺时限); 0 = on the spot (当场办结)
    document: str  # what the applicant collects at the pick-up window (出件)
    max_supplements: int = MAX_SUPPLEMENTS  # supplements allowed before the application is refused (补正上限)


CATALOGUE: tuple[ServiceItem, ...] = (
    ServiceItem("id_card_first", "首次申领居民身份证",
                ("居民户口簿", "监护人居民身份证（未满16周岁）"), True, True, 15, "居民身份证"),
    ServiceItem("id_card_renewal", "居民身份证有效期满换领",
                ("原居民身份证", "居民户口簿"), True, True, 15, "居民身份证"),
    ServiceItem("id_card_reissue", "居民身份证遗失补领",
                ("居民户口簿",), True, True, 15, "居民身份证"),
    ServiceItem("temp_id_card", "临时居民身份证申领",
                ("居民户口簿",), False, True, 0, "临时居民身份证"),
    ServiceItem("residence_permit", "居住证申领",
                ("居民身份证", "居住证明（房屋租赁合同、劳动合同或就读证明之一）"), True, True, 15, "居住证"),
    ServiceItem("residence_permit_endorse", "居住证签注",
                ("居住证", "居民身份证"), False, False, 0, "居住证（已签注）"),
    ServiceItem("new_resident_registration", "新居民登记（居住登记）",
                ("居民身份证", "房屋租赁合同或住所证明"), False, False, 0, "居住登记回执"),
    ServiceItem("household_transfer", "户口迁移（迁入）",
                ("居民户口簿", "居民身份证", "房屋产权证明或准予迁入证明"), True, False, 5, "户口迁移证明"),
    ServiceItem("no_criminal_record", "无犯罪记录证明",
                ("居民身份证", "用途说明"), True, False, 3, "无犯罪记录证明"),
    ServiceItem("household_booklet_reissue", "居民户口簿补领",
                ("居民身份证", "户口簿遗失声明"), True, False, 5, "居民户口簿"),
)

_BY_CODE = {item.code: item for item in CATALOGUE}


def item_codes() -> list[str]:
    """The codes of the catalogue's items, in catalogue order (the start form's enum)."""
    return [item.code for item in CATALOGUE]


def one_window_item(item_code: str) -> dict:
    """Service operation: the catalogue entry of an item (name, materials, deadline, document...)."""
    item = _BY_CODE.get(item_code)
    if item is None:
        raise ValueError(f"item {item_code!r} is not in the one-window catalogue")
    entry = asdict(item)
    entry["materials"] = list(item.materials)
    return entry


def one_window_print(item_code: str, id_number: str, photo_ref: str) -> dict:
    """Service operation: print the document at the station's printer, with the photo taken once (一窗通拍).

    Items that need a photo are printed with the photo reference kept in the case; printing without it
    fails, so no later step ever has to ask the applicant for a photo again.
    """
    item = _BY_CODE.get(item_code)
    if item is None:
        raise ValueError(f"item {item_code!r} is not in the one-window catalogue")
    if item.photo_required and not photo_ref:
        raise ValueError(f"{item.name} needs the applicant's photo, and the case holds none")
    digest = sha256(f"{item_code}:{id_number}".encode()).hexdigest()[:8].upper()
    return {
        "document": item.document,
        "document_no": f"YCTB-{digest}",
        "photo_ref": photo_ref if item.photo_required else "",
    }


FUNCTIONS: dict[str, Callable] = {}
OPERATIONS: dict[str, Callable] = {"one_window_item": one_window_item, "one_window_print": one_window_print}
