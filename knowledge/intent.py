"""What a message is about: a procedure, a complaint, the status of one's own ticket, or small talk."""

from __future__ import annotations

import re

from knowledge.normalize import fold

PROCEDURE = "procedure"
COMPLAINT = "complaint"
STATUS = "status"
SMALLTALK = "smalltalk"
UNKNOWN = "unknown"
INTENTS = (PROCEDURE, COMPLAINT, STATUS, SMALLTALK, UNKNOWN)

# Cue phrases in diacritic-free form, matched on word boundaries.
_STATUS = (
    "phan anh cua toi",
    "khieu nai cua toi",
    "don cua toi",
    "ho so cua toi",
    "yeu cau cua toi",
    "kien nghi cua toi",
    "gop y cua toi",
    "phieu cua toi",
    "ma phieu",
    "ma so phieu",
    "ma phan anh",
    "den dau roi",
    "da xu ly chua",
    "xu ly den dau",
    "giai quyet den dau",
    "tien do",
    "trang thai",
    "sao chua thay tra loi",
    "chua duoc tra loi",
    "chua thay phan hoi",
    "da co ket qua chua",
    "tra cuu phan anh",
    "theo doi phan anh",
    "kiem tra phan anh",
    "my ticket",
    "my complaint",
    "my report",
    "my request",
    "status of my",
    "any update",
    "toi da gui",
    "minh da gui",
    "em da gui",
    "da phan anh",
)
_COMPLAINT = (
    "phan anh",
    "khieu nai",
    "to cao",
    "kien nghi",
    "gop y",
    "buc xuc",
    "bao cao",
    "phan nan",
    "to giac",
    "o ga",
    "rac thai",
    "vut rac",
    "do rac",
    "bai rac",
    "ngap",
    "tieng on",
    "on ao",
    "hat karaoke",
    "den duong",
    "hu hong",
    "hong hoc",
    "lan chiem",
    "lan chiem via he",
    "xay dung trai phep",
    "trai phep",
    "vi pham",
    "thai do",
    "nhung nhieu",
    "gay kho de",
    "hach dich",
    "cham tre",
    "o nhiem",
    "boc mui",
    "hoi thoi",
    "nuoc thai",
    "chay no",
    "mat trat tu",
    "danh nhau",
    "cay do",
    "cong vo",
    "tac cong",
    "complain",
    "complaint about",
    "report a",
    "pothole",
    "garbage",
    "rubbish",
    "noise",
    "broken",
    "flood",
    "streetlight",
    "street light",
    "rude",
    "bribe",
    "suggestion",
    "feedback",
)
_ASKS_PROCEDURE = (
    "thu tuc",
    "ho so",
    "giay to",
    "can gi",
    "can nhung gi",
    "nhu the nao",
    "the nao",
    "lam sao",
    "o dau",
    "mau don",
    "bao lau",
    "le phi",
    "nop",
    "dang ky",
    "cap",
    "xin",
    "huong dan",
    "how to",
    "how do",
    "how can",
    "procedure",
    "where",
    "documents",
    "fee",
)
_SMALLTALK = (
    "xin chao",
    "chao",
    "chao ban",
    "chao bot",
    "hello",
    "hi",
    "hey",
    "alo",
    "cam on",
    "cam on ban",
    "cam on nhieu",
    "thanks",
    "thank you",
    "thank",
    "tam biet",
    "bye",
    "goodbye",
    "ban la ai",
    "ban ten gi",
    "who are you",
    "ok",
    "oke",
    "okay",
    "vang",
    "da",
    "u",
    "uh",
    "good morning",
    "chuc ngu ngon",
    "hihi",
    "haha",
    "tot lam",
    "good",
    "great",
    "ban khoe khong",
    "how are you",
    "bot oi",
    "ad oi",
    "admin oi",
)
_SMALLTALK_WORDS = frozenset(" ".join(_SMALLTALK).split()) | {"a", "nhe", "nha", "oi", "nhieu", "lam"}
_TICKET_CODE = re.compile(r"\b[a-z]{1,4}-?\d{4,}(-\d+)?\b")


def _cue(folded: str, cues: tuple[str, ...]) -> bool:
    """Whether any cue phrase occurs on word boundaries."""
    padded = f" {folded} "
    return any(f" {cue} " in padded for cue in cues)


def cue_intent(text: str) -> str | None:
    """The intent that the wording alone makes clear, or None when the matcher must decide."""
    folded = fold(text)
    if not folded:
        return SMALLTALK
    words = folded.split()
    if _cue(folded, _STATUS) or (_TICKET_CODE.search(folded) and len(words) <= 12):
        return STATUS
    if len(words) <= 6 and set(words) <= _SMALLTALK_WORDS:
        return SMALLTALK
    if _cue(folded, _COMPLAINT) and not _cue(folded, _ASKS_PROCEDURE):
        return COMPLAINT
    return None


def wants_complaint(text: str) -> bool:
    """Whether the wording reports, complains, petitions or suggests something."""
    return _cue(fold(text), _COMPLAINT)
