"""What a message is about: a procedure, a complaint, the status of one's own ticket, or small talk.

Cue phrases are written with diacritics. A message typed with marks is compared with them as written
(so "ở đầu" is not "ở đâu"); a message typed without marks is compared with their folded form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.normalize import normalize, strip_diacritics

PROCEDURE = "procedure"
COMPLAINT = "complaint"
STATUS = "status"
SMALLTALK = "smalltalk"
UNKNOWN = "unknown"
INTENTS = (PROCEDURE, COMPLAINT, STATUS, SMALLTALK, UNKNOWN)


@dataclass(frozen=True)
class _Cues:
    """Cue phrases as written (with marks) and folded."""

    marked: tuple[str, ...]
    folded: tuple[str, ...]
    by_first: tuple[dict[str, tuple[str, ...]], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_first", (_by_first(self.marked), _by_first(self.folded)))


def _by_first(cues: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Cue phrases by their first word: only those whose first word is in a message can occur in it."""
    table: dict[str, list[str]] = {}
    for cue in cues:
        table.setdefault(cue.split()[0], []).append(cue)
    return {first: tuple(group) for first, group in table.items()}


def _phrases(text: str) -> _Cues:
    """Comma-separated cue phrases, normalized, in both forms."""
    marked = tuple(f" {normalize(p)} " for p in text.split(",") if p.strip())
    return _Cues(marked, tuple(strip_diacritics(p) for p in marked))


# Things one files or sends, and words asking how far they got.
_TICKET_WORDS = _phrases(
    "phản ánh, kiến nghị, góp ý, khiếu nại, tố cáo, đơn, yêu cầu, câu hỏi, hồ sơ của, phiếu, ticket, complaint,"
    "report, request, feedback, mã số, mã phiếu"
)
_PROGRESS_WORDS = _phrases(
    "đến đâu, tới đâu, xử lý chưa, giải quyết chưa, tiếp nhận chưa, trả lời chưa, chưa thấy, chưa có, chưa được,"
    "bao giờ có, khi nào có, tình trạng, tiến độ, kết quả, đã xử lý, đã giải quyết, status, progress, update,"
    "any news, tra cứu, kiểm tra, theo dõi, xem lại, xong chưa, sao rồi, thế nào rồi, chưa thấy trả, chưa trả,"
    "xem chưa, có ai xem, trạng thái, chờ tiếp nhận, chuyển chưa, đã chuyển"
)
_OWN_WORDS = _phrases(
    "của tôi, của em, của mình, của anh, của chị, của cháu, tôi đã gửi, em đã gửi, mình đã gửi, tôi gửi, em gửi,"
    "mình gửi, đã gửi, tôi nộp, em nộp, mình nộp, đã nộp, hôm qua, tuần trước, tháng trước, hôm trước, hôm thứ,"
    "hôm kia, mấy hôm trước, bữa trước, my, i sent,"
    "i filed, i submitted"
)
# A dossier filed at the one-stop desk or online, asked after: a status question, though the bot does not hold the
# dossier (the answer says where to look it up). The first phrases ask by themselves ("tình trạng hồ sơ"); a dossier
# named otherwise ("hồ sơ đã nộp", "mã hồ sơ") asks with a word about progress ("tới đâu", "bao giờ có").
_DOSSIER_LOOKUP = _phrases("tình trạng hồ sơ, tiến độ hồ sơ, tra cứu hồ sơ, dossier status")
# Questions how long a procedure takes, where its result is received or what it needs: about the procedure, though
# they name a dossier and its result ("nộp hồ sơ xây dựng thì bao lâu có kết quả").
_PROCEDURE_ASKS = _phrases(
    "bao lâu, mấy ngày, bao nhiêu ngày, ở đâu, nhận ở, nhận tại, cần gì, giấy tờ gì, gồm những gì, lệ phí,"
    "how long, where"
)
_DOSSIER_PROGRESS = _phrases(
    "hồ sơ đến đâu, hồ sơ tới đâu, hồ sơ xử lý chưa,"
    "hồ sơ giải quyết chưa, hồ sơ xong chưa, hồ sơ đã xong chưa, hồ sơ có kết quả chưa, hồ sơ đã có kết quả chưa,"
    "kết quả hồ sơ, hồ sơ sao rồi, hồ sơ thế nào rồi"
)
_DOSSIER = _phrases(
    "hồ sơ đã nộp, hồ sơ tôi đã nộp, hồ sơ em đã nộp, hồ sơ mình đã nộp, hồ sơ của tôi, hồ sơ của em,"
    "hồ sơ của mình, hồ sơ tôi nộp, hồ sơ em nộp, hồ sơ mình nộp, mã hồ sơ, mã biên nhận, giấy biên nhận, phiếu hẹn,"
    "ngày hẹn, hẹn trả, hồ sơ nộp, nộp hồ sơ từ, my application"
)
_HO_SO = _phrases("hồ sơ")
_TICKET_CODE = re.compile(r"\b[a-z]{1,5}-\d{4}-\d{3,}\b|\b(?:số|so|mã|ma) \d{4,}\b")
# A bare six-digit number is a ticket number only beside words about one's tickets, never an amount of money
# ("lệ phí ... có phải 100000 đồng không").
_BARE_NUMBER = re.compile(
    r"(?<![\d.,])\d{6}(?![\d.,])(?!\s*(?:đồng|dong|đ|vnd|vnđ|k|nghìn|nghin|ngàn|ngan|triệu|trieu)\b)"
)

# Reports of a problem: these make a message a complaint even when it mentions a procedure word.
_PROBLEM_WORDS = _phrases(
    "ổ gà, ổ voi, rác thải, vứt rác, đổ rác, bãi rác, thu gom rác, phế thải, ngập, ngập lụt, úng, tiếng ồn, ồn ào,"
    "karaoke, đèn đường, hỏng, hư hỏng, hư, vỡ, nứt, sụt lún, lấn chiếm, chiếm vỉa hè, xây dựng trái phép,"
    "trái phép, vi phạm, thái độ, hách dịch, nhũng nhiễu, gây khó dễ, đòi tiền, đòi thêm tiền, bồi dưỡng,"
    "tiêu cực, chậm trễ, quá hạn, trễ hẹn, ô nhiễm, bốc mùi, hôi thối, có mùi, nước thải, khói, bụi, cháy nổ,"
    "mất trật tự, đánh nhau, trộm, cây đổ, cây xanh đổ, đổ chắn, chắn đường, chắn cửa, đỗ xe, đỗ chắn,"
    "nắp cống, cống vỡ, tắc cống, cống tắc, nước bẩn, bị đục, mất điện, mất nước, chó thả rông, buôn bán lấn,"
    "lỗi không, bị lỗi, không nộp được, không truy cập được, gây ồn, làm ồn, ồn quá, thả rông, chó cắn, sắp đổ,"
    "sắp sập, đậu chắn, đậu xe chắn, chắn lối, lấn đường, pothole, garbage, rubbish, trash, noise, noisy,"
    "broken, flooded, flooding, streetlight, street light, rude, bribe, pollution, smell, illegal,"
    "mùi hôi, hôi quá, xả thải, xả bẩn, xả rác, quá hẹn, trễ hạn, hẹn đi hẹn lại, hẹn lần hẹn lượt, hẹn nhiều lần,"
    "đi lại nhiều lần, bắt đi lại, bổ sung nhiều lần, bắt bổ sung, mỗi lần nói một kiểu, mỗi lần nói 1 kiểu,"
    "mỗi người nói một kiểu, mỗi người nói 1 kiểu, không đến thu, chưa đến thu, không ai thu gom, không sáng,"
    "bị tắt, tắt cả, chó hoang, cắn người, lấn ra, không có giấy phép, không phép, chiếm hết, lấn vỉa hè,"
    "bày bàn ghế, cộc lốc, cộc cằn, nói chuyện cộc, quát dân, quát cả, quát mắng, quát tháo, mắng chửi, chửi bới,"
    "lại bảo về, lại bảo lên, bảo lên quận, bảo về phường,"
    "cáu gắt, to tiếng, thiếu tôn trọng, hẹn mãi, mãi không, mãi chưa,"
    "không trả kết quả, làm thất lạc, thất lạc hồ sơ, làm mất hồ sơ, hành dân, đẩy qua đẩy lại, đùn đẩy,"
    "đá qua đá lại, không đăng nhập được, lỗi đăng nhập, mục gốc, cây nghiêng, nguy hiểm, ầm ầm, ầm ĩ,"
    "inh ỏi, cả đêm, chằng chịt, sà xuống, dây điện, to quá, quá to, mà chưa thấy, mà vẫn chưa, không ai trả lời,"
    "không ai nghe, không ai giải thích, chẳng ai, lót tay, tiền ngoài, vòi tiền, đòi phong bì, tiền bồi dưỡng"
)
# Money asked for by an official ("đòi 500k mới giải quyết", "bắt nộp thêm 2 triệu"): a report of misconduct.
# Unmarked, "doi" is "đổi" (change) as well: it counts beside an official ("can bo doi 500k").
_AMOUNT = r"\s+\d[\d.,]*\s*(?:k|nghìn|nghin|ngàn|ngan|triệu|trieu|tr|đồng|dong|đ)\b"
_MONEY_ASKED = re.compile(r"\b(?:đòi|vòi|bắt nộp|bat nop|bắt đưa|bat dua|bắt chi|bat chi)(?: thêm| them)?" + _AMOUNT)
_MONEY_ASKED_UNMARKED = re.compile(r"\b(?:can bo|nhan vien|cong an|dia chinh|tu phap)\b.*\b(?:(?:doi|voi)(?: them)?"
                                   r"|(?:gui|dua|nop|chi) them)" + _AMOUNT)  # "can bo ... bao gui them 2 trieu"
_MONEY_ASKED_OFFICIAL = re.compile(r"\b(?:cán bộ|nhân viên|công an|địa chính|tư pháp)\b.*\b(?:gửi|đưa|nộp|chi) thêm"
                                   + _AMOUNT)
# Words that, written without marks, contain a problem word ("so hong" is "sổ hồng", not "sổ hỏng"; "cho vo" is "cho
# vợ", not "vỡ"): in unmarked text they do not report a problem.
_PROBLEM_LOOKALIKES = tuple(f" {strip_diacritics(normalize(p))} " for p in (
    "sổ hồng", "nhà sổ hồng", "cho vợ", "với vợ", "của vợ", "vợ con", "vợ chồng", "vợ tôi", "vợ em", "vợ mình",
    "và vợ", "xã hội", "hội quán"))  # "vo" is "vỡ" (broken) too; "hoi qua" is "hôi quá" (it stinks)


def _reports_problem(text: _Text) -> bool:
    """Whether the message names a problem (see `_PROBLEM_LOOKALIKES`)."""
    if not text.marked and any(name in text.padded for name in _PROBLEM_LOOKALIKES):
        padded = text.padded
        for name in _PROBLEM_LOOKALIKES:
            padded = padded.replace(name, " ")
        text = _Text(padded, False, frozenset(padded.split()))
    asked = (_MONEY_ASKED.search(text.padded) or _MONEY_ASKED_OFFICIAL.search(text.padded)
             or (not text.marked and _MONEY_ASKED_UNMARKED.search(text.padded)))
    return text.has(_PROBLEM_WORDS) or bool(asked)


# Wishes to report, complain, petition or suggest.
_REPORT_WORDS = _phrases(
    "phản ánh, khiếu nại, tố cáo, kiến nghị, góp ý, bức xúc, báo cáo, phàn nàn, tố giác, đề nghị xử lý,"
    "đề nghị kiểm tra, complain, complaint, report, suggest, suggestion, feedback"
)
# Of those, the words that name a formal procedure of the ward (Luật Khiếu nại 2011, Luật Tố cáo 2018): alone, with no
# problem reported, they ask for that procedure ("khiếu nại quyết định hành chính", "làm đơn tố cáo cán bộ").
_FORMAL_WORDS = _phrases("khiếu nại, tố cáo")
_INFORMAL_REPORT_WORDS = _phrases(
    "phản ánh, kiến nghị, góp ý, bức xúc, báo cáo, phàn nàn, tố giác, đề nghị xử lý,"
    "đề nghị kiểm tra, complain, complaint, report, suggest, suggestion, feedback"
)
# Signs the person asks how to do a procedure (so "thủ tục khiếu nại" is a procedure question).
_HOW_WORDS = _phrases(
    "thủ tục, hồ sơ gồm, giấy tờ gì, giấy tờ cần, cần gì, cần những gì, cần giấy, như thế nào, thế nào, làm sao,"
    "ở đâu, nộp ở, mẫu đơn, bao lâu, lệ phí, mất phí, mất bao nhiêu, cách làm, cách nộp, hướng dẫn, quy trình,"
    "how to, how do, how can, procedure, where do, where can, documents, which office"
)
# Questions about how to reach an office rather than about a procedure.
_CONTACT = _phrases(
    "địa chỉ, số điện thoại, điện thoại, sđt, sdt, hotline, đường dây nóng, giờ làm việc, mấy giờ, làm việc thứ,"
    "mở cửa, nghỉ trưa, email, liên hệ, ở đâu vậy, nằm ở đâu, trụ sở, where is, address, phone number, phone,"
    "opening hours, office hours, open on, contact, thứ 7, thứ bảy, chủ nhật, giờ hành chính, ngày nghỉ, ngày lễ,"
    "có làm việc, làm việc không, working hours, open on saturday, open on sunday"
)
_SMALLTALK = _phrases(
    "xin chào, chào, chào bạn, chào em, chào bot, chào buổi sáng, chào buổi chiều, chào buổi tối, hello, hi, hey,"
    "alo, a lô, cảm ơn, cám ơn, cảm ơn bạn, cảm ơn nhiều, thanks, thank you, tạm biệt, bye, goodbye, bạn là ai,"
    "bạn tên gì, bạn tên là gì, bạn là người hay máy, người thật, người máy, robot, who are you, are you a bot,"
    "are you human, ok, oke, okay, vâng, dạ, ừ, uh, good morning, good night, chúc ngủ ngon, hihi, haha, tốt lắm,"
    "good, great, bạn khỏe không, how are you, bot ơi, ad ơi, admin ơi, giỏi quá, hay quá, được rồi,"
    "tks, thks, thank, tên gì, tên là gì, có ai không, có ai ko, có ai đó không, có người không, còn đó không,"
    "bạn còn đó không, is anyone there, anybody there, bot là ai, là ai vậy, ai vậy, bạn giúp được gì,"
    "giúp được gì, bạn làm được gì, bot làm được gì, làm được gì, what can you do, have a nice day, nice day,"
    "có ai trực, ai trực, kể chuyện cười, chuyện cười, người yêu, chúc bạn, ngày mới vui vẻ, nhanh ghê, giỏi ghê,"
    "hay ghê, hỏi chút, hỏi tí, cho mình hỏi chút, cho em hỏi chút"
)
# Without diacritics one marked syllable is ambiguous ("vang" is "vâng" or "vàng", "da" is "dạ" or "da"):
# in unmarked text only cues of several words, or written without marks anyway, count as small talk.
_SMALLTALK_UNMARKED = _Cues(_SMALLTALK.marked, tuple(
    folded for marked, folded in zip(_SMALLTALK.marked, _SMALLTALK.folded, strict=True)
    if len(folded.split()) > 1 or marked == folded
))
_SMALLTALK_EXTRA = ["ạ", "nhé", "nha", "ơi", "nhiều", "lắm", "nhá", "bạn", "không", "có", "phải", "là", "à", "vậy",
                    "thế", "em", "anh", "chị", "cô", "chú", "bác", "cháu", "mình", "tôi", "ad", "ubnd", "phường", "ủy",
                    "cán", "bộ", "cho", "you", "and", "hiểu", "rồi", "bot"]
_SMALLTALK_WORDS = frozenset(" ".join(_SMALLTALK.marked + _SMALLTALK.folded).split()) | frozenset(
    _SMALLTALK_EXTRA) | frozenset(strip_diacritics(w) for w in _SMALLTALK_EXTRA)
# Unmarked greetings of one syllable, read as such when the message opens with one and says only small talk
# ("chao", "chao ad"; "cháo" alone is no question to a ward's bot)
_GREETING_OPENINGS = frozenset(["chao", "alo"])
# Kinds of small talk, each answered in its own way (a thanks is not greeted).
_THANKS = _phrases("cảm ơn, cám ơn, thanks, thank you, thank, tks, thks, cảm ơn nhiều")
_BYE = _phrases("tạm biệt, bye, goodbye, chúc ngủ ngon, good night")
_ACK = _phrases("ok, oke, okay, vâng, dạ, ừ, uh, được rồi, good, great, tốt lắm, hay quá, giỏi quá")


@dataclass(frozen=True)
class _Text:
    """A message in the form its cues are compared with."""

    padded: str
    marked: bool
    words: frozenset[str]

    def has(self, cues: _Cues) -> bool:
        """Whether any cue phrase occurs on word boundaries."""
        table = cues.by_first[0 if self.marked else 1]
        return any(cue in self.padded for first in table.keys() & self.words for cue in table[first])


# Chat spellings read as the words they stand for before cues are compared ("xe rac ko den thu": "không đến thu")
CHAT_SPELLINGS = {"ko": "không", "k": "không", "kg": "không", "khg": "không", "hok": "không", "dc": "được",
                   "đc": "được"}


def _text(message: str) -> _Text:
    normalized = normalize(message)
    marked = strip_diacritics(normalized) != normalized
    normalized = " ".join(CHAT_SPELLINGS.get(w, w) for w in normalized.split())
    padded = f" {normalized if marked else strip_diacritics(normalized)} "
    return _Text(padded, marked, frozenset(padded.split()))


def cue_intent(message: str) -> str | None:
    """The intent that the wording alone makes clear, or None when the matcher must decide."""
    text = _text(message)
    words = text.padded.split()
    if not words:
        return SMALLTALK
    lowered = message.lower()
    ticket = text.has(_TICKET_WORDS)
    code = _TICKET_CODE.search(lowered) is not None or (ticket and _BARE_NUMBER.search(lowered) is not None)
    if code and len(words) <= 14:
        return STATUS
    if ticket and text.has(_PROGRESS_WORDS) and (text.has(_OWN_WORDS) or code):
        return STATUS
    if asks_dossier(message):
        return STATUS
    # small talk says a greeting or a thanks (unmarked, "tam vang" is "tạm vắng", not "tạm biệt" + "vâng")
    if len(words) <= 8 and (
        (set(words) <= _SMALLTALK_WORDS and (text.marked or text.has(_SMALLTALK_UNMARKED)
                                             or words[0] in _GREETING_OPENINGS))
        or (
            text.has(_SMALLTALK if text.marked else _SMALLTALK_UNMARKED)
            and not text.has(_HOW_WORDS)
            and len(words) <= 4
        )
    ):
        return SMALLTALK
    if _reports_problem(text) and not (text.has(_HOW_WORDS) and not text.has(_REPORT_WORDS)):
        return COMPLAINT
    if text.has(_INFORMAL_REPORT_WORDS) and not text.has(_HOW_WORDS):
        return COMPLAINT
    return None


# Emoji of anger or distress: a message of them alone is answered with sympathy and the way to complain.
_UPSET_EMOJI = frozenset("😡😠🤬😤👎😞😟😢😭😩😫💢🙁☹😒")


def small_talk_kind(message: str) -> str:
    """What a small-talk message says: "thanks", "bye", "upset" (angry or sad emoji), "ack" (ok, another emoji)
    or "greeting" (anything else)."""
    text = _text(message)
    if not text.padded.split():  # an emoji, or punctuation: "?" asks what the bot does
        if _UPSET_EMOJI.intersection(message):
            return "upset"
        return "greeting" if "?" in message else "ack"
    if text.has(_THANKS):
        return "thanks"
    if text.has(_BYE):
        return "bye"
    return "ack" if text.has(_ACK) else "greeting"


_WHERE = _phrases("ở đâu, chỗ nào, where")


def without_cues(message: str, *cue_sets: _Cues) -> str:
    """The message without the cue phrases of `cue_sets`, in the form cues are compared in (folded when the
    message has no marks)."""
    text = _text(message)
    padded = text.padded
    phrases = sorted((cue for cues in cue_sets for cue in (cues.marked if text.marked else cues.folded)),
                     key=len, reverse=True)  # "miễn phí" before "phí"
    for cue in phrases:
        while cue in padded:
            padded = padded.replace(cue, " ")
    return " ".join(padded.split())


def without_contact(message: str) -> str:
    """The message without its phrases asking for an address, phone or opening hours."""
    return without_cues(message, _CONTACT, _WHERE)


def asks_contact(message: str) -> bool:
    """Whether the message asks for an office's address, phone, e-mail or opening hours."""
    return _text(message).has(_CONTACT)


def asks_where(message: str) -> bool:
    """Whether the message asks where something is."""
    return _text(message).has(_WHERE)


def asks_dossier(message: str) -> bool:
    """Whether the message asks after a dossier filed for a procedure (not a ticket of this bot)."""
    text = _text(message)
    if text.has(_REPORT_WORDS) or _reports_problem(text) or _TICKET_CODE.search(message.lower()) is not None:
        return False  # "hẹn trả kết quả mà quá hạn 2 tuần chưa có": a complaint
    if text.has(_DOSSIER_LOOKUP):
        return True
    progress = text.has(_PROGRESS_WORDS)
    asked = text.has(_DOSSIER_PROGRESS) or (progress and (text.has(_DOSSIER) or (
        text.has(_HO_SO) and text.has(_OWN_WORDS))))  # "hồ sơ khai sinh nộp tuần trước bao giờ có kết quả"
    return asked and not text.has(_PROCEDURE_ASKS)


def without_report_words(message: str) -> str:
    """The message without its words of reporting ("tôi muốn phản ánh đèn hỏng" -> "tôi muốn đèn hỏng")."""
    return without_cues(message, _INFORMAL_REPORT_WORDS)


def without_problem(message: str) -> str:
    """The message without its problem words ("đăng ký khai sinh quá hạn" -> "đăng ký khai sinh")."""
    return without_cues(message, _PROBLEM_WORDS)


def about_own_case(message: str) -> bool:
    """Whether the message speaks of a dossier, of what the writer filed ("hồ sơ", "của tôi", "đã nộp") or of a
    problem suffered ("bị chậm trễ")."""
    text = _text(message)
    if text.has(_HO_SO) or text.has(_OWN_WORDS):
        return True
    suffered = _PROBLEM_WORDS.marked if text.marked else _PROBLEM_WORDS.folded
    passive = " bị" if text.marked else " bi"
    return any(passive + cue in text.padded for cue in suffered)


def wants_to_report(message: str) -> bool:
    """Whether the message says it reports, complains or suggests ("phản ánh", "khiếu nại", "góp ý")."""
    return _text(message).has(_REPORT_WORDS)


def says_small_talk(message: str) -> bool:
    """Whether a message greets, thanks or speaks to the bot somewhere in it ("Cảm ơn bạn đã hỗ trợ ạ")."""
    text = _text(message)
    words = text.padded.split()
    cues = _SMALLTALK if text.marked else _SMALLTALK_UNMARKED
    return text.has(cues) or bool(words and words[0] in _GREETING_OPENINGS)


def describes_problem(message: str, formal: bool = True) -> bool:
    """Whether the wording reports a problem or asks to complain (used when no procedure matches);
    `formal=False`: not counting the words that name the khiếu nại / tố cáo procedures."""
    text = _text(message)
    return _reports_problem(text) or text.has(_REPORT_WORDS if formal else _INFORMAL_REPORT_WORDS)
