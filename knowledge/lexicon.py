"""Everyday words, abbreviations, English glossary and filler words used to read citizens' questions.

The abbreviations, synonyms and English terms are reviewed data with their sources, in
`knowledge/data/lexicon.yaml`; the filler words and the qualifier words of procedure names are here.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

LEXICON_FILE = Path(__file__).with_name("data") / "lexicon.yaml"


@functools.cache
def _data() -> dict[str, Any]:
    """The reviewed lexicon file, read once."""
    return yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _load(kind: str) -> dict[str, str]:
    """One table of the reviewed lexicon (`knowledge/data/lexicon.yaml`), its groups merged in order."""
    table: dict[str, str] = {}
    for group in _data()[kind]:
        if not group.get("source"):
            raise ValueError(f"{LEXICON_FILE.name}: a group of '{kind}' names no source")
        table.update(group["entries"])
    return table


# Abbreviations and spelling variants: the words are replaced by the expansion.
REPLACE: dict[str, str] = _load("replace")
# Everyday words and synonyms: the words stay and the expansion is added.
ADD: dict[str, str] = _load("add")


def _nationalities() -> dict[str, str]:
    """"người Hàn Quốc", "chồng Đài Loan", "quốc tịch Mỹ"...: each with the foreign element it implies."""
    table: dict[str, str] = {}
    for group in _data().get("nationalities", []):
        if not group.get("source"):
            raise ValueError(f"{LEXICON_FILE.name}: a group of 'nationalities' names no source")
        for before, countries in ((group["before"], group["countries"]), (group["before_short"],
                                                                         group["short_countries"])):
            for cue in before:
                for country in countries:
                    table[f"{cue} {country.lower().replace('-', ' ')}"] = group["expansion"]
    return table


# Everyday words and synonyms: a country said of a person adds the foreign element ("người Hàn Quốc").
ADD.update({key: value for key, value in _nationalities().items() if key not in ADD})
# English words and phrases mapped to the Vietnamese terms used in procedure names.
ENGLISH: dict[str, str] = _load("english")


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a text."""
    return frozenset(text.split())


# Words that carry no meaning for finding a procedure, with diacritics (removed before folding).
FILLER: frozenset[str] = _words(
    """
    tôi mình em anh chị bạn ông bà cô chú bác cháu ạ ơi nhé nha vậy thì là mà và với của cho muốn
    cần phải nên được bị có không chưa đã đang sẽ rồi hay hoặc nào gì đâu sao bao nhiêu thế làm như
    này kia đó ấy ở tại khi nếu để về theo từ trong các những hãy giúp hỏi xin biết ai vui lòng thủ
    tục hồ sơ giấy tờ gồm thế nào như thế nào bây giờ hiện nay nay muốn hướng dẫn cách việc thực
    hiện nộp đâu mất bao lâu ạ dạ vâng
    """
)

# Diacritic-free filler words, dropped from questions typed without marks unless they form a known
# phrase with a neighbour ("can cuoc" keeps "can"; "toi can" drops both).
FILLER_FOLDED: frozenset[str] = _words(
    """
    toi minh em ban ong ba co chu bac chau a oi nhe nha vay thi la ma va voi cua cho muon can phai
    nen duoc bi khong chua da dang se roi hay hoac nao gi dau sao bao nhieu the lam nhu nay kia do
    ay o tai khi neu de ve theo tu trong cac nhung hay giup hoi xin biet ai vui long thu tuc ho so
    giay huong dan cach viec thuc hien nop lau da vang
    """
)

# English stop words.
FILLER_EN: frozenset[str] = _words(
    """
    i me my we you your he she it they a an the to of for in on at by with and or is are was be do
    does did can could would should how what where when which who whom need want get have has
    please hello hi about this that there here from as if so my our
    """
)

# Words of a procedure name's opening that say it changes an existing paper or registration rather than
# creating it ("Cấp lại ...", "Gia hạn ...", "Hiệu đính ..."): a question that never says them is less
# likely about that procedure than about the procedure that issues the paper.
ACTION_MODIFIERS: tuple[str, ...] = (
    "lại", "đổi", "gia hạn", "điều chỉnh", "hiệu đính", "thu hồi", "chấm dứt", "dừng", "ngừng", "giải thể",
    "bổ sung", "cập nhật", "thay đổi", "hủy", "huỷ", "xóa", "xoá", "đính chính", "khôi phục",
)
# Verbs procedure names open with that say nothing of the subject ("Đăng ký khai tử" is about "khai tử"):
# "khai tử quá hạn" names the procedure as well as "đăng ký khai tử quá hạn".
OPENING_VERBS: tuple[str, ...] = ("đăng ký", "cấp", "giải quyết", "thực hiện")
# ... and words of a lost, damaged or expired paper, which a question about changing it says instead.
PAPER_TROUBLE: tuple[str, ...] = ("mất", "thất lạc", "hỏng", "rách", "hư", "nhòe", "hết hạn", "sai")

# Kinds that exclude each other in procedure names: a question that says (or implies: "lớp 3" is "tiểu học")
# one of a group and none of the others is not about a procedure named for another (Luật Giáo dục 2019, art. 28:
# the school levels; Luật Doanh nghiệp 2020 and Nghị định 01/2021/NĐ-CP: an enterprise is not a household
# business, nor a cooperative).
EXCLUSIVE_KINDS: tuple[tuple[str, ...], ...] = (
    ("tiểu học", "trung học cơ sở", "trung học phổ thông"),
    ("hộ kinh doanh", "doanh nghiệp", "hợp tác xã"),
)

# Words anywhere in a procedure name that narrow it to a special case ("... có yếu tố nước ngoài", "... lưu
# động"): a question that neither says nor implies them is about the general procedure.
SPECIAL_CASES: tuple[str, ...] = (
    "nước ngoài", "biên giới", "lưu động", "cơ quan đại diện", "tạm thời", "khẩn cấp", "thí điểm", "đặc biệt",
    "kết hợp",
)
