"""The `kb` command line: search contract, validate, export and eval."""

import io
import json
import sys
from pathlib import Path

from knowledge.cli import main
from tests.kb_helpers import FIXTURE_KB


def test_search_with_a_query_prints_one_json_object(capsys):
    assert main(["search", "dang ky khai sinh", "--json", "--kb", str(FIXTURE_KB)]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert set(answer) == {"query", "intent", "confident", "results"}
    assert answer["query"] == "dang ky khai sinh" and answer["intent"] == "procedure"
    assert len(answer["results"]) == 3
    assert answer["results"][0] == {
        "id": "1.001193",
        "name": "Đăng ký khai sinh",
        "agency": "mot-cua",
        "score": answer["results"][0]["score"],
    }
    assert isinstance(answer["results"][0]["score"], float)


def test_search_without_a_query_answers_each_stdin_line_in_order(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("ket hon\ngiá vàng hôm nay\nlam lai cccd\n"))
    assert main(["search", "-k", "1", "--kb", str(FIXTURE_KB)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["query"] for line in lines] == ["ket hon", "giá vàng hôm nay", "lam lai cccd"]
    assert lines[0]["results"][0]["id"] == "1.000894" and len(lines[0]["results"]) == 1
    assert lines[1]["confident"] is False
    assert lines[2]["results"][0]["id"] == "2.001583"


def test_result_id_of_a_local_procedure_is_its_local_id(capsys):
    main(["search", "chứng thực bản sao", "--json", "-k", "1", "--kb", str(FIXTURE_KB)])
    answer = json.loads(capsys.readouterr().out)
    assert answer["results"][0]["id"].startswith("local.")


def test_validate_reports_ok_for_a_good_directory(capsys):
    assert main(["validate", str(FIXTURE_KB)]) == 0
    assert "OK: 6 procedures" in capsys.readouterr().out


def test_validate_fails_with_the_problem_for_a_bad_directory(tmp_path: Path, capsys):
    (tmp_path / "procedures").mkdir()
    (tmp_path / "procedures" / "x.yaml").write_text("procedures:\n  - {id: a, name: A, colour: red}\n", "utf-8")
    assert main(["validate", str(tmp_path)]) == 1
    assert "x.yaml, entry a (#1), field 'colour'" in capsys.readouterr().err


def test_export_writes_a_spreadsheet_that_validates(tmp_path: Path, capsys):
    assert main(["export", "--kb", str(FIXTURE_KB), "--out", str(tmp_path / "kb.xlsx")]) == 0
    assert main(["validate", str(tmp_path / "kb.xlsx")]) == 0
    assert "OK: 6 procedures" in capsys.readouterr().out


def test_eval_reports_top1_top3_intent_and_out_of_scope(tmp_path: Path, capsys):
    questions = tmp_path / "q.jsonl"
    rows = [
        {"query": "dang ky ket hon", "intent": "procedure", "expected": ["1.000894"]},
        {"query": "giá vàng hôm nay", "intent": "unknown", "expected": []},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert main(["eval", str(questions), "--kb", str(FIXTURE_KB)]) == 0
    out = capsys.readouterr().out
    assert "top-1                        1.000" in out
    assert "intent accuracy              1.000" in out
    assert "confident on out-of-scope    0" in out


def test_eval_of_portal_questions_reports_hit_at_1_and_5(tmp_path: Path, capsys):
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": "đăng ký kết hôn", "codes": ["1.000894"]}), encoding="utf-8")
    assert main(["eval", str(questions), "--kb", str(FIXTURE_KB)]) == 0
    out = capsys.readouterr().out
    assert "hit@1" in out and "hit@5" in out


def test_validate_lists_the_facts_to_fill_in(capsys):
    from knowledge.cli import main

    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "facts to fill in or check" in out and "agency cong-an-phuong: phone is missing" in out


def test_no_agency_of_the_shipped_data_gives_an_emergency_number_for_routine_matters():
    from knowledge import default_knowledge_base
    from knowledge.agencies import is_emergency_number

    assert not any(is_emergency_number(a.phone) for a in default_knowledge_base().agencies)
