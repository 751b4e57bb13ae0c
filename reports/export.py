"""Ticket exports for spreadsheets: one row per ticket, CSV or XLSX, with no personal data.

A row holds the ticket's code, category, agency, status, dates, deadlines, whether it was on time and the
citizen's survey answer; never a name, phone number, messenger id, address or any text the citizen wrote.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from handlers.categories import category_label
from handlers.i18n import translate
from reports.facts import TicketFacts
from storage.clock import format_local

FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
Cell = str | int | None

COLUMNS: tuple[str, ...] = ("code", "category", "agency", "status", "outcome", "received", "first_due", "due",
                            "closed", "on_time", "working_days", "anonymous", "survey_resolved", "survey_score",
                            "survey_level")
WIDTHS = {"code": 16, "category": 30, "agency": 30, "status": 14, "outcome": 14, "received": 17, "first_due": 12,
          "due": 12, "closed": 17, "on_time": 10, "working_days": 10, "anonymous": 9, "survey_resolved": 18,
          "survey_score": 10, "survey_level": 20}


def _date(moment: datetime | None, with_time: bool = True) -> str | None:
    return None if moment is None else format_local(moment, with_time=with_time)


def rows(facts: list[TicketFacts], lang: str, agency_names: dict[str, str]) -> list[list[Cell]]:
    """The header and one row per ticket."""
    def yes_no(value: bool | None) -> str | None:
        return None if value is None else translate(lang, "export.yes" if value else "export.no")

    out: list[list[Cell]] = [[translate(lang, f"export.{c}") for c in COLUMNS]]
    for f in facts:
        answer = f.answer
        out.append([
            f.code, category_label(f.category, lang), agency_names.get(f.agency_id or "", f.agency_id),
            translate(lang, f"status.{f.status}"),
            translate(lang, f"export.{f.outcome}") if f.outcome else None,
            _date(f.created_at), _date(f.first_due_at, False), _date(f.due_at, False), _date(f.closed_at),
            yes_no(f.on_time), f.working_days, yes_no(f.anonymous),
            translate(lang, f"survey.resolved_{answer.resolved}") if answer and answer.resolved else None,
            answer.score if answer else None,
            translate(lang, f"survey.level_{answer.score}") if answer else None,
        ])
    return out


def to_csv(table: list[list[Cell]]) -> bytes:
    """UTF-8 CSV with a byte-order mark (so spreadsheet programs read Vietnamese right)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(["" if v is None else v for v in row] for row in table)
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(table: list[list[Cell]], sheet_title: str) -> bytes:
    """An XLSX workbook: a bold header row, frozen below it, filters and column widths."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title[:31]
    for row in table:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for i, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = WIDTHS[column]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_bytes(facts: list[TicketFacts], fmt: str, lang: str, agency_names: dict[str, str],
                 sheet_title: str = "Phản ánh") -> bytes:
    """The export of these tickets in `fmt` (csv or xlsx)."""
    table = rows(facts, lang, agency_names)
    if fmt == "csv":
        return to_csv(table)
    if fmt == "xlsx":
        return to_xlsx(table, sheet_title)
    raise ValueError(f"unknown export format {fmt!r} (csv or xlsx)")
