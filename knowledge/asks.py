"""What a question asks about a procedure: its documents, fee, time, office, online filing, who may file,
or a condition the card cannot settle.

Cue phrases are the words of the card's own sections and their everyday forms, compared like the intent
cues (with marks when the question has them).
"""

from __future__ import annotations

from knowledge.intent import _phrases, _text, without_cues

DOCUMENTS, FEE, TIME, WHERE, ONLINE, POST, PROXY, CONDITION = (
    "documents", "fee", "time", "where", "online", "post", "proxy", "condition")

# aspect -> cue phrases (written with marks; typed without marks they are compared folded)
_CUES = {
    DOCUMENTS: _phrases("giấy tờ, hồ sơ gồm, hồ sơ cần, cần những gì, cần gì, cần mang, mang theo, thành phần hồ sơ,"
                        "chuẩn bị gì, chuẩn bị những, what documents, which documents, documents"),
    FEE: _phrases("lệ phí, phí, bao nhiêu tiền, mất tiền, tốn tiền, chi phí, miễn phí, fee, cost, how much"),
    TIME: _phrases("bao lâu, mấy ngày, bao nhiêu ngày, thời gian, thời hạn giải quyết, khi nào có, bao giờ có,"
                   "how long, how many days"),
    WHERE: _phrases("ở đâu, nộp ở, nộp tại, làm ở, cơ quan nào, nơi nào, chỗ nào, where"),
    ONLINE: _phrases("trực tuyến, online, qua mạng, dịch vụ công, vneid, trên mạng"),
    POST: _phrases("bưu điện, bưu chính, gửi về nhà, by post"),
    PROXY: _phrases("ủy quyền, uỷ quyền, nhờ người, làm thay, đi thay, nộp thay, thay cho, thay mặt, on behalf"),
    CONDITION: _phrases("điều kiện, có được không, được không, có bắt buộc, bắt buộc, có phải, có cần phải, quy định,"
                        "trường hợp, theo luật, luật, nghị định, thông tư, có hợp lệ, hợp lệ không, có bị phạt,"
                        "bị phạt, eligible, allowed, condition"),
}
ASPECTS = tuple(_CUES)
# Words that may stay in a question about the procedure just shown once its asking phrases are gone ("mất bao
# lâu", "còn làm ở đâu", "làm ở phường được không"): they name no procedure.
_FOLLOW_UP_WORDS = frozenset(["mat", "con", "ad", "admin", "phuong", "xa", "lam", "nop", "the", "thi", "sao", "vay",
                              "het", "qua", "cai", "nay", "do", "take", "apply", "file", "submit", "get", "it", "this"])


def asked_aspects(message: str) -> tuple[str, ...]:
    """The aspects of a procedure a message asks about, in the order of ASPECTS."""
    text = _text(message)
    return tuple(aspect for aspect, cues in _CUES.items() if text.has(cues))


def without_asks(message: str) -> str:
    """The message without its phrases that ask about an aspect ("khai tử lệ phí bao nhiêu" -> "khai tử"), in the
    form the cues are compared in."""
    return without_cues(message, *_CUES.values())


def follow_up_aspects(message: str, content_words: list[str]) -> tuple[str, ...]:
    """The aspects a message asks about the procedure just shown ("le phi bao nhieu", "o dau"), or () when it
    asks about another one too. `content_words`: the folded content words of the message without its asking
    phrases (`without_asks`), as the matcher reads them."""
    asked = asked_aspects(message)
    if not asked or not set(content_words) <= _FOLLOW_UP_WORDS:
        return ()
    return tuple(a for a in asked if a != CONDITION)  # "nộp online được không": the form of the question
