"""Reading spreadsheets and national-database records into a knowledge-base directory, and back out.

Spreadsheet layout (CSV, or the sheet "procedures" of an XLSX workbook): one row per procedure, one
column per field named as in `SHEET_COLUMNS`. List fields hold one item per line inside the cell.
Channels are three yes/no columns. Agencies live in the sheet "agencies" (XLSX) or in a file beside the
CSV named `<stem>.agencies.csv`, with the columns of `AGENCY_COLUMNS`.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from knowledge.loader import AGENCY_FILES, DATA_DIR, PROCEDURE_DIR, KnowledgeBase, load_knowledge_base
from knowledge.models import Agency, Procedure
from knowledge.normalize import fold

PROCEDURE_LIST_FIELDS = ("documents", "steps", "legal_basis", "linked", "keywords", "phrasings", "uncertain",
                         "documents_en")
CHANNEL_COLUMNS = {"in_person": "channel_in_person", "online": "channel_online", "post": "channel_post"}
SHEET_COLUMNS = (
    "id", "national_code", "name", "name_en", "domain", "level", "agency",
    "channel_in_person", "channel_online", "channel_post", "online_url", "postal_return",
    "documents", "steps", "processing_time", "fee", "result", "legal_basis", "linked",
    "keywords", "phrasings", "uncertain", "note",
    "documents_en", "processing_time_en", "fee_en", "note_en",
)  # fmt: skip
AGENCY_LIST_FIELDS = ("topics", "uncertain")
AGENCY_COLUMNS = tuple(Agency.model_fields)
PROCEDURES_FILE = "procedures.jsonl"
_TRUE = {"yes", "y", "true", "1", "có", "co", "x", "✓"}
_FALSE = {"no", "n", "false", "0", "không", "khong", ""}

SHOWN_CHARS = 3500  # a message shows about this much; longer national texts are cut at import
ITEM_CHARS = 600
Progress = Callable[[int], None]


class ImportProblem(ValueError):
    """A row of a spreadsheet cannot be read: names the file, the row and the column."""


# -- spreadsheet rows <-> records -------------------------------------------------------------------
def _cell(value: Any) -> str:
    """A cell as stripped text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _lines(value: Any) -> list[str]:
    """A multi-line cell as a list of non-empty lines."""
    return [line.strip() for line in _cell(value).splitlines() if line.strip()]


def _flag(value: Any, file: str, row: int, column: str) -> bool:
    """A yes/no cell."""
    text = _cell(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ImportProblem(f"{file}, row {row}, column '{column}': expected yes/no, found {text!r}")


def row_to_procedure(row: dict[str, Any], file: str, row_number: int) -> dict[str, Any]:
    """One spreadsheet row as a procedure mapping in the data-file schema."""
    unknown = set(row) - set(SHEET_COLUMNS) - {None}
    unknown = {c for c in unknown if _cell(c)}
    if unknown:
        raise ImportProblem(f"{file}, row {row_number}: unknown column(s) {sorted(unknown)}")
    out: dict[str, Any] = {}
    for column in SHEET_COLUMNS:
        value = row.get(column)
        if column in CHANNEL_COLUMNS.values():
            continue
        if column in PROCEDURE_LIST_FIELDS:
            out[column] = _lines(value)
        elif column == "postal_return":
            out[column] = _flag(value, file, row_number, column)
        elif column in ("national_code", "name_en", "online_url", "note", "note_en"):
            out[column] = _cell(value) or None
        else:
            out[column] = _cell(value)
    out["channels"] = {key: _flag(row.get(col), file, row_number, col) for key, col in CHANNEL_COLUMNS.items()}
    return out


def procedure_to_row(proc: Procedure) -> dict[str, str]:
    """One procedure as a spreadsheet row."""
    data = proc.model_dump()
    row: dict[str, str] = {}
    for column in SHEET_COLUMNS:
        if column in CHANNEL_COLUMNS.values():
            key = next(k for k, c in CHANNEL_COLUMNS.items() if c == column)
            row[column] = "yes" if data["channels"][key] else "no"
        elif column in PROCEDURE_LIST_FIELDS:
            row[column] = "\n".join(data[column])
        elif column == "postal_return":
            row[column] = "yes" if data[column] else "no"
        else:
            row[column] = data[column] or ""
    return row


def row_to_agency(row: dict[str, Any]) -> dict[str, Any]:
    """One agency row as a mapping in the data-file schema."""
    out: dict[str, Any] = {}
    for column in AGENCY_COLUMNS:
        value = row.get(column)
        out[column] = _lines(value) if column in AGENCY_LIST_FIELDS else (_cell(value) or None)
    return out


def agency_to_row(agency: Agency) -> dict[str, str]:
    """One agency as a spreadsheet row."""
    data = agency.model_dump()
    return {c: "\n".join(data[c]) if c in AGENCY_LIST_FIELDS else (data[c] or "") for c in AGENCY_COLUMNS}


# -- reading sources --------------------------------------------------------------------------------
def _read_csv(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _read_sheet(path: Path, name: str) -> list[dict[str, Any]] | None:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    if name not in workbook.sheetnames:
        if name == "procedures" and workbook.sheetnames:
            name = workbook.sheetnames[0]
        else:
            return None
    rows = workbook[name].iter_rows(values_only=True)
    header = [_cell(h) for h in next(rows, ())]
    return [dict(zip(header, r, strict=False)) for r in rows if any(_cell(v) for v in r)]


def read_spreadsheet(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """Procedure and agency mappings from a CSV or XLSX file in the documented layout."""
    if path.suffix.lower() == ".xlsx":
        proc_rows = _read_sheet(path, "procedures") or []
        agency_rows = _read_sheet(path, "agencies")
    else:
        proc_rows = _read_csv(path)
        sibling = path.with_name(f"{path.stem}.agencies.csv")
        agency_rows = _read_csv(sibling) if sibling.is_file() else None
    procedures = [row_to_procedure(r, path.name, i + 2) for i, r in enumerate(proc_rows)]
    agencies = [row_to_agency(r) for r in agency_rows] if agency_rows is not None else None
    return procedures, agencies


# -- national records ---------------------------------------------------------------------------------
_NO_INFO = "Không có thông tin"
_DOC_SPLIT = re.compile(r"(?<=\d bản chính)|(?<=\d bản sao)")
_DOC_HEADER = re.compile(r"^(--)?Tên giấy tờMẫu đơn, tờ khaiSố lượng|Bao gồmTên giấy tờMẫu đơn, tờ khaiSố lượng")
_LAW_CODE = re.compile(r"\d+/\d{4}/[A-ZĐa-zđ0-9\-]+")
_TIME = re.compile(r"(\d+(?:[.,]\d+)?\s*(?:Ngày làm việc|Ngày|Giờ làm việc|Giờ|Tháng|Năm))")
_FEE = re.compile(r"(?:Ngày làm việc|Ngày|Giờ làm việc|Giờ|Tháng|Năm)\s*(.+?)(?:\(|Mô tả|$)")
_RESULT_CODE = re.compile(r"Mã: *[A-Z0-9.\-]*\d")  # "Mã: KQ.G12.001040", the code that follows each result


def _clean(text: str | None) -> str:
    """A national text field without the portal's placeholders."""
    text = (text or "").strip()
    return "" if text == _NO_INFO else text


def _slug(text: str) -> str:
    """A short ASCII id for an agency name."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:60] or "khong-ro"


def _documents(text: str) -> list[str]:
    text = _clean(text)
    parts = [_DOC_HEADER.sub("", p).strip(" -") for p in _DOC_SPLIT.split(text)]
    return [p for p in parts if p and p != "--"][:30]


def _legal_basis(text: str) -> list[str]:
    text = _clean(text).replace("Tên văn bản pháp lýMã văn bản", "")
    items, start = [], 0
    for match in _LAW_CODE.finditer(text):
        item = text[start : match.end()].strip()
        if item:
            items.append(item)
        start = match.end()
    return items[:20] or ([text] if text else [])


def _result(text: str) -> str:
    """Every result a procedure can end with ("Giấy chứng nhận ...; Văn bản từ chối ..."), not only the first."""
    items = (item.strip() for item in _RESULT_CODE.split(_clean(text).split("Từ khóa")[0]))
    return "; ".join(dict.fromkeys(item for item in items if item))


def _cap(items: list[str], total: int = SHOWN_CHARS, each: int = ITEM_CHARS) -> list[str]:
    """Items cut to what one message can show (the portal's texts can run to many pages)."""
    out, used = [], 0
    for item in items:
        item = item if len(item) <= each else item[: each - 1].rstrip() + "…"
        if used + len(item) > total:
            break
        out.append(item)
        used += len(item)
    return out


def national_record(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A national-database record as (procedure mapping, agency mapping)."""
    code = str(record["ma_thu_tuc"]).strip()
    ways = record.get("cach_thuc_thuc_hien") or ""
    agency_name = _clean(record.get("co_quan_thuc_hien")) or _clean(record.get("co_quan_co_tham_quyen"))
    agency_name = agency_name or "Cơ quan có thẩm quyền (chưa rõ)"
    agency = {
        "id": _slug(agency_name),
        "name": agency_name,
        "address": _clean(record.get("dia_chi_tiep_nhan"))[:300] or None,
        "uncertain": ["address", "phone", "hours"],
    }
    time = _TIME.search(ways)
    fee = _FEE.search(ways)
    steps = [s.strip() for s in _clean(record.get("trinh_tu_thuc_hien")).split("\n") if s.strip()]
    procedure = {
        "id": code,
        "national_code": code,
        "name": record["ten_thu_tuc"].strip(),
        "domain": _clean(record.get("linh_vuc")),
        "level": _clean(record.get("cap_thuc_hien")),
        "agency": agency["id"],
        "channels": {
            "in_person": "Trực tiếp" in ways,
            "online": "Trực tuyến" in ways,
            "post": "bưu chính" in ways,
        },
        "online_url": record.get("detail_url") or None,
        "postal_return": "bưu chính" in ways,
        "documents": _cap(_documents(record.get("thanh_phan_ho_so") or "")),
        "steps": _cap(steps),
        "processing_time": time.group(1) if time else "",
        "fee": fee.group(1).strip() if fee else "",
        "result": _result(record.get("ket_qua_xu_ly") or ""),
        "legal_basis": _cap(_legal_basis(record.get("can_cu_phap_ly") or "")),
        "keywords": [k for k in [_clean(record.get("doi_tuong_thuc_hien"))] if k],
        "uncertain": ["processing_time", "fee", "documents"],
    }
    return procedure, agency


def read_national(path: Path, progress: Progress | None = None) -> Iterator[dict[str, Any]]:
    """National records from JSON lines, optionally gzipped."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ImportProblem(f"{path.name}, line {number}: not JSON ({exc.msg})") from None
            if progress:
                progress(number)


# -- writing a knowledge-base directory --------------------------------------------------------------
def write_directory(out: Path, procedures: list[dict[str, Any]], agencies: Iterable[dict[str, Any]]) -> Path:
    """Write agencies.json and procedures/procedures.jsonl into `out` (JSON: fast to load)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / PROCEDURE_DIR).mkdir(exist_ok=True)
    for stale in (out / PROCEDURE_DIR).iterdir():
        if stale.suffix in (".yaml", ".yml", ".json", ".jsonl"):
            stale.unlink()
    for stale in AGENCY_FILES:
        (out / stale).unlink(missing_ok=True)
    agencies_file = out / "agencies.json"  # JSON: fast to load, and hundreds of agencies for national records
    agencies_file.write_text(json.dumps({"agencies": list(agencies)}, ensure_ascii=False, indent=1), "utf-8")
    target = out / PROCEDURE_DIR / PROCEDURES_FILE
    with target.open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(p, ensure_ascii=False) + "\n" for p in procedures)
    return target


def _progress_printer(label: str, every: int = 250) -> Progress:
    """A callback printing progress to stderr every `every` items."""

    def show(done: int) -> None:
        if done % every == 0:
            print(f"{label}: {done} records", file=sys.stderr, flush=True)

    return show


def import_path(path: Path, out: Path, show_progress: bool = True) -> KnowledgeBase:
    """Import a spreadsheet or national records into a knowledge-base directory, then load it to check."""
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".json.gz", ".ndjson")):
        progress = _progress_printer(path.name) if show_progress else None
        procedures, agencies, seen = [], {}, set()
        for record in read_national(path, progress):
            proc, agency = national_record(record)
            if proc["id"] in seen:
                continue
            seen.add(proc["id"])
            procedures.append(proc)
            agencies.setdefault(agency["id"], agency)
        agency_list = list(agencies.values())
    elif name.endswith((".csv", ".xlsx")):
        procedures, agency_rows = read_spreadsheet(path)
        if agency_rows is None:  # fall back to the shipped directory of agencies
            agency_rows = [a.model_dump() for a in load_knowledge_base(DATA_DIR).agencies]
        agency_list = agency_rows
    else:
        raise ImportProblem(f"{path.name}: unsupported file type (use .csv, .xlsx, .jsonl or .jsonl.gz)")
    write_directory(out, procedures, agency_list)
    kb = load_knowledge_base(out)
    if show_progress:
        print(
            f"imported {len(kb.procedures)} procedures, {len(kb.agencies)} agencies into {out}",
            file=sys.stderr,
        )
    return kb


def export_spreadsheet(kb: KnowledgeBase, out: Path) -> None:
    """Write a knowledge base in the spreadsheet layout (XLSX with two sheets, or CSV + agencies CSV)."""
    proc_rows = [procedure_to_row(p) for p in kb.procedures]
    agency_rows = [agency_to_row(a) for a in kb.agencies]
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font

        workbook = Workbook()
        sheets = (("procedures", SHEET_COLUMNS, proc_rows), ("agencies", AGENCY_COLUMNS, agency_rows))
        for number, (title, columns, rows) in enumerate(sheets):
            sheet = workbook.active if number == 0 else workbook.create_sheet()
            sheet.title = title
            sheet.append(list(columns))
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for row in rows:
                sheet.append([row[c] for c in columns])
            for row_cells in sheet.iter_rows(min_row=2):
                for cell in row_cells:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
            sheet.freeze_panes = "C2"
        workbook.save(out)
        return
    for target, columns, rows in (
        (out, SHEET_COLUMNS, proc_rows),
        (out.with_name(f"{out.stem}.agencies.csv"), AGENCY_COLUMNS, agency_rows),
    ):
        with target.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(columns))
            writer.writeheader()
            writer.writerows(rows)
