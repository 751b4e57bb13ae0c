"""Loading and validating knowledge-base directories."""

from pathlib import Path

import pytest

from knowledge import KnowledgeBaseError, load_knowledge_base
from tests.kb_helpers import FIXTURE_KB, fixture_procedures, write_kb


def test_fixture_directory_loads_agencies_and_procedures():
    kb = load_knowledge_base(FIXTURE_KB)
    assert kb.procedure("1.001193").name == "Đăng ký khai sinh"
    assert kb.agency("mot-cua").phone == "024 0000 0001"


def test_shipped_knowledge_base_is_valid():
    kb = load_knowledge_base()
    assert kb.procedures and kb.agencies
    assert all(kb.agency(p.agency) is not None for p in kb.procedures)


def test_unknown_field_error_names_file_entry_and_field(tmp_path: Path):
    procs = fixture_procedures()
    procs[1]["colour"] = "red"
    write_kb(tmp_path, procs)
    with pytest.raises(KnowledgeBaseError) as err:
        load_knowledge_base(tmp_path)
    assert err.value.file.endswith("test.yaml")
    assert "1.004884" in err.value.entry
    assert err.value.field == "colour"


def test_entry_without_id_is_named_by_its_position(tmp_path: Path):
    procs = fixture_procedures()
    del procs[2]["id"]
    write_kb(tmp_path, procs)
    with pytest.raises(KnowledgeBaseError, match=r"entry #3, field 'id'"):
        load_knowledge_base(tmp_path)


def test_wrong_type_is_reported_with_its_field(tmp_path: Path):
    procs = fixture_procedures()
    procs[0]["documents"] = "one string instead of a list"
    write_kb(tmp_path, procs)
    with pytest.raises(KnowledgeBaseError, match=r"field 'documents'"):
        load_knowledge_base(tmp_path)


def test_unknown_agency_is_an_error(tmp_path: Path):
    procs = fixture_procedures()
    procs[0]["agency"] = "no-such-office"
    write_kb(tmp_path, procs)
    with pytest.raises(KnowledgeBaseError, match="unknown agency id 'no-such-office'"):
        load_knowledge_base(tmp_path)


def test_duplicate_procedure_id_is_an_error(tmp_path: Path):
    procs = fixture_procedures()
    procs[1]["id"] = procs[0]["id"]
    procs[1]["national_code"] = procs[0]["id"]
    write_kb(tmp_path, procs)
    with pytest.raises(KnowledgeBaseError, match="duplicate procedure id"):
        load_knowledge_base(tmp_path)


def test_link_to_a_missing_procedure_is_an_error(tmp_path: Path):
    procs = fixture_procedures()
    procs[0]["linked"] = ["9.999999"]
    write_kb(tmp_path, procs)
    with pytest.raises(KnowledgeBaseError, match=r"field 'linked'.*9\.999999"):
        load_knowledge_base(tmp_path)


def test_uncertain_must_name_a_real_field(tmp_path: Path):
    procs = fixture_procedures()
    procs[0]["uncertain"] = ["colour"]
    write_kb(tmp_path, procs)
    with pytest.raises(KnowledgeBaseError, match=r"field 'uncertain'"):
        load_knowledge_base(tmp_path)


def test_yaml_syntax_error_names_the_file(tmp_path: Path):
    write_kb(tmp_path, fixture_procedures())
    (tmp_path / "procedures" / "broken.yaml").write_text("procedures: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="broken.yaml"):
        load_knowledge_base(tmp_path)


def test_json_lines_procedure_file_errors_name_the_line_or_entry(tmp_path: Path):
    import json

    write_kb(tmp_path, fixture_procedures()[:1])
    lines = [json.dumps(p, ensure_ascii=False) for p in fixture_procedures()[1:3]]
    target = tmp_path / "procedures" / "more.jsonl"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(load_knowledge_base(tmp_path).procedures) == 3
    target.write_text(lines[0] + "\n{not json\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"more.jsonl, entry line 2"):
        load_knowledge_base(tmp_path)
    bad = fixture_procedures()[2]
    bad["fee"] = ["not", "text"]
    target.write_text(lines[0] + "\n" + json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"more.jsonl, entry 1.000894 \(#2\), field 'fee'"):
        load_knowledge_base(tmp_path)


def test_equal_texts_of_different_procedures_are_kept_once(tmp_path: Path):
    procs = fixture_procedures()
    procs[0]["fee"] = procs[1]["fee"] = "Miễn lệ phí"
    procs[0]["legal_basis"] = procs[1]["legal_basis"] = ["Luật Hộ tịch 2014"]
    first, second = load_knowledge_base(write_kb(tmp_path, procs)).procedures[:2]
    assert first.fee is second.fee
    assert first.legal_basis[0] is second.legal_basis[0]
