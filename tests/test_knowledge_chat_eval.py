"""Measuring answers as citizens get them: the conversation evaluation and the fixed split of questions."""

from knowledge import Matcher, load_knowledge_base
from knowledge.chat_eval import evaluate_conversation
from knowledge.eval import FROZEN, TUNING, distinct, half_of, select
from tests.kb_helpers import FIXTURE_KB


def test_conversation_evaluation_reads_cards_choices_and_other_answers():
    kb = load_knowledge_base(FIXTURE_KB)
    rows = [
        {"query": "dang ky khai sinh cho con o dau", "expected": ["1.001193"], "intent": "procedure"},
        {"query": "đăng ký", "expected": ["1.004884"], "intent": "procedure"},
        {"query": "xin chào", "expected": [], "intent": "smalltalk"},
        {"query": "thủ tục ly hôn", "expected": [], "intent": "unknown", "redirect": "divorce"},
    ]
    report = evaluate_conversation(kb, Matcher(kb, semantic=False), rows)
    assert report.figures["right card first"] == 0.5  # the birth card; "đăng ký" gets a choice
    assert report.figures["right procedure offered"] == 1.0
    assert report.figures["wrong card"] == 0.0
    assert report.figures["intent (first reply)"] == 1.0
    assert report.figures["redirect right"] == 1.0


def test_repeated_questions_count_once():
    rows = [{"question": "Hỏi A?", "codes": ["1"]}, {"question": "hỏi  a?", "codes": ["1"]},
            {"question": "B", "codes": []}]
    assert [r["question"] for r in distinct(rows)] == ["Hỏi A?", "B"]


def test_the_split_into_halves_is_fixed_and_disjoint():
    rows = [{"question": f"câu hỏi số {i}", "codes": []} for i in range(40)]
    tuning, frozen = select(rows, TUNING), select(rows, FROZEN)
    assert len(tuning) + len(frozen) == 40 and tuning and frozen
    assert not {r["question"] for r in tuning} & {r["question"] for r in frozen}
    assert half_of({"question": "câu hỏi số 0"}) == half_of({"question": "Câu hỏi  số 0"})


def test_common_short_questions_of_the_issue_are_answered_not_not_found():
    from knowledge import default_knowledge_base
    from knowledge.chat_eval import ask_each

    kb = default_knowledge_base()
    asked = {"gks cho be": "1.001193", "bằng lái xe": "3.000347", "làm cccd": "1.014061", "cmnd": "1.014061",
             "lệ phí làm hộ chiếu có phải 100000 đồng không": "1.001456", "lam ho chiu": "1.001456"}
    replies = ask_each(kb, Matcher(kb, semantic=False), [{"query": q} for q in asked])
    for (question, expected), reply in zip(asked.items(), replies, strict=True):
        assert expected in reply.offered, (question, reply)
