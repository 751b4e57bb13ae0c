"""Matcher quality on the development questions and on real portal questions (the issue's goals)."""

from pathlib import Path

import pytest

from knowledge import Matcher, load_knowledge_base
from knowledge.eval import evaluate_file
from knowledge.importers import import_path
from tests.kb_helpers import DEV_QUESTIONS, DVC_QUESTIONS, NATIONAL_RECORDS, SHARED_MISSING


@pytest.fixture(scope="module")
def dev_report():
    return evaluate_file(Matcher(load_knowledge_base()), DEV_QUESTIONS)


def test_dev_set_top1_is_at_least_90_percent(dev_report):
    assert dev_report.figures["top-1"] >= 0.90, dev_report.misses


def test_dev_set_top3_is_at_least_97_percent(dev_report):
    assert dev_report.figures["top-3"] >= 0.97, dev_report.misses


def test_dev_set_intent_accuracy_is_at_least_95_percent(dev_report):
    assert dev_report.figures["intent accuracy"] >= 0.95, dev_report.misses


def test_no_out_of_scope_dev_question_gets_a_confident_answer(dev_report):
    assert dev_report.figures["confident on out-of-scope"] == 0, dev_report.misses


@pytest.mark.skipif(not (NATIONAL_RECORDS.is_file() and DVC_QUESTIONS.is_file()), reason=SHARED_MISSING)
def test_portal_questions_find_a_linked_procedure_in_the_lexical_top5(tmp_path_factory: pytest.TempPathFactory):
    out: Path = tmp_path_factory.mktemp("national")
    kb = import_path(NATIONAL_RECORDS, out, show_progress=False)
    report = evaluate_file(Matcher(kb, semantic=False), DVC_QUESTIONS)
    assert report.figures["hit@5"] >= 0.48
