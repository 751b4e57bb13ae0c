"""Finding the agency a question names ("số điện thoại công an phường", "ủy ban ở đâu")."""

from __future__ import annotations

import math
import re
from collections import Counter

from knowledge.lexicon import FILLER_EN, FILLER_FOLDED
from knowledge.loader import KnowledgeBase
from knowledge.models import Agency
from knowledge.normalize import fold

# Everyday names of offices, folded, mapped to words found in the agencies' names.
_ALIASES = {
    "uy ban": "ubnd mot cua",
    "ubnd": "ubnd mot cua",
    "phuong": "phuong",
    "mot cua": "mot cua",
    "ward office": "ubnd mot cua",
    "police": "cong an",
    "cong an": "cong an",
    "bao hiem": "bao hiem",
    "tiep dan": "tiep cong dan",
}
_GENERIC = {"phuong", "thanh", "xuan", "ha", "noi", "pho", "ubnd", "bo", "phan", "phong"}


def _words(text: str) -> list[str]:
    """Folded content words of a text, with everyday office names written out."""
    folded = f" {fold(text)} "
    for alias, meaning in _ALIASES.items():
        if f" {alias} " in folded:
            folded += f" {meaning} "
    return [w for w in folded.split() if w not in FILLER_FOLDED]


def rank_agencies(kb: KnowledgeBase, text: str, k: int = 2) -> list[Agency]:
    """Agencies whose name or topics the question mentions, best first (at most k)."""
    docs = [set(_words(" ".join([a.name, a.name_en or "", *a.topics]))) for a in kb.agencies]
    df = Counter(w for doc in docs for w in doc)
    n = len(docs)
    asked = set(_words(text))
    scored = []
    for agency, doc in zip(kb.agencies, docs, strict=True):
        score = sum(math.log(1 + n / df[w]) * (0.3 if w in _GENERIC else 1.0) for w in asked & doc)
        if score > 0:
            scored.append((score, agency))
    scored.sort(key=lambda pair: -pair[0])
    return [agency for _, agency in scored[:k]]


# Words left of a question for an office's contact once the office and the asking phrases are gone ("phường làm
# việc mấy giờ", "số điện thoại của phường"): they ask nothing else.
_CONTACT_LEFTOVERS = frozenset(["lam", "viec", "cua", "o", "tai", "dau", "nao", "may", "gio", "thu", "bay", "bao",
                                "nhieu", "la", "gi", "ko", "k", "khong", "co", "ad", "a", "station",
                                # times of an opening-hours question ("hôm nay phường có làm việc không")
                                "t7", "cn", "hom", "nay", "mai", "sang", "chieu", "trua", "tet", "today", "tomorrow",
                                "saturday", "sunday", "open"])
_DAYS = re.compile(r"\b(?:thu (?:hai|ba|tu|nam|sau|bay|[2-7])|chu nhat|ngay le)\b")  # "thứ 7", folded
# Words of a procedure that an office's name may share ("đăng ký", "cấp", "đổi"): the question asks for the procedure.
_UBND = frozenset(["uy", "ban", "nhan", "dan"])  # "ubnd" as the matcher writes it out
_PROCEDURE_WORDS = frozenset(["ky", "cap", "doi", "thay", "xin", "nhat"])


def office_asked(kb: KnowledgeBase, rest: str, content: list[str]) -> list[Agency] | None:
    """For a question asking an office's contact, `rest` being it without the asking phrases
    (`intent.without_contact`) and `content` the folded content words the matcher reads in `rest`: the offices it
    names, best first; the ward's one-stop desk when it names only the ward ("số điện thoại phường"). None when
    the question asks about something else too (a procedure: "làm hộ chiếu ở đâu")."""
    rest = _DAYS.sub(" ", fold(rest))  # "phường có làm việc thứ 7 không": the days asked about name no office
    named = set(_words(" ".join(f"{a.name} {a.name_en or ''}" for a in kb.agencies))) | set(_words(
        " ".join(_ALIASES))) | _UBND
    words = [w for w in _words(rest) if w not in _CONTACT_LEFTOVERS and w not in FILLER_EN and not w.isdigit()]
    spoken = set(words) | {w for w in content if w not in _CONTACT_LEFTOVERS and w not in FILLER_EN and not w.isdigit()}
    if not spoken <= named | _GENERIC or spoken & _PROCEDURE_WORDS:
        return None
    if spoken <= _GENERIC | _UBND | set(_words("uy ban mot cua ward office")):  # the ward, or no office named
        one_stop = kb.agency(ONE_STOP)
        return [one_stop] if one_stop is not None else rank_agencies(kb, rest)
    return rank_agencies(kb, rest) or None


ONE_STOP = "ubnd-phuong"  # the ward's one-stop desk: whom to call when another office's phone is missing
EMERGENCY_NUMBERS = ("113", "114", "115")  # police, fire, ambulance: never a number for routine matters
CONTACT_FIELDS = ("address", "phone", "email", "hours")
_PLACEHOLDER_WORDS = ("đang cập nhật", "chưa cập nhật", "to be updated", "tbd", "xxx")


def is_emergency_number(phone: str | None) -> bool:
    """Whether a phone entry is (or leads with) an emergency number."""
    digits = "".join(ch for ch in (phone or "") if ch.isdigit() or ch == " ").split()
    return bool(digits) and digits[0] in EMERGENCY_NUMBERS


def is_placeholder(value: str | None) -> bool:
    """Whether a contact fact is missing or only a placeholder ("địa chỉ cụ thể đang cập nhật")."""
    text = (value or "").strip().lower()
    return not text or any(word in text for word in _PLACEHOLDER_WORDS)


def usable(agency: Agency, field: str) -> str | None:
    """A contact fact fit to show a citizen, or None when it is missing, a placeholder or an emergency line."""
    value = getattr(agency, field)
    if is_placeholder(value) or (field == "phone" and is_emergency_number(value)):
        return None
    return value


def placeholders(kb: KnowledgeBase) -> list[str]:
    """Every contact fact an office must still fill in or check, one line each (for `kb validate`)."""
    lines = []
    for agency in kb.agencies:
        for name in CONTACT_FIELDS:
            value = getattr(agency, name)
            if name == "phone" and is_emergency_number(value):
                lines.append(f"agency {agency.id}: phone is an emergency number ({value}); give the office's own line")
            elif is_placeholder(value):
                lines.append(f"agency {agency.id}: {name} is missing" + (f" ({value})" if value else ""))
        for name in agency.uncertain:
            lines.append(f"agency {agency.id}: {name} is marked uncertain")
    for proc in kb.procedures:
        for name in proc.uncertain:
            lines.append(f"procedure {proc.id}: {name} is marked uncertain")
    return lines
