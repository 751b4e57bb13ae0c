"""What a question asks about a procedure: its documents, fee, time, office, online filing, who may file,
or a condition the card cannot settle.

Cue phrases are the words of the card's own sections and their everyday forms, compared like the intent
cues (with marks when the question has them).
"""

from __future__ import annotations

from knowledge.intent import _phrases, _text

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


def asked_aspects(message: str) -> tuple[str, ...]:
    """The aspects of a procedure a message asks about, in the order of ASPECTS."""
    text = _text(message)
    return tuple(aspect for aspect, cues in _CUES.items() if text.has(cues))
