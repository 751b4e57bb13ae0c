"""A question too general for a card gets a choice; one with rare words whose first procedure leads clearly does not."""

import pytest

from knowledge import Matcher, default_knowledge_base


@pytest.fixture(scope="module")
def shipped() -> Matcher:
    return Matcher(default_knowledge_base())  # with the semantic signal, as the bot runs


@pytest.mark.parametrize("question", ["đăng ký", "bảo hiểm", "căn cước"])
def test_a_general_question_gets_a_choice(shipped, question: str):
    assert not shipped.search(question).confident


def test_a_specific_question_whose_candidates_share_its_words_still_gets_the_card(shipped):
    result = shipped.search("mat can cuoc roi lam lai o dau")
    assert result.confident and result.best.procedure.name == "Cấp lại thẻ căn cước"
