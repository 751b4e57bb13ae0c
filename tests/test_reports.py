"""Reports people look at: /stats and `feedback-bot stats`, the satisfaction index by month with its counts,
the chart (/report, `report --png`), the exports (/export, `feedback-bot export`) without personal data."""

from __future__ import annotations

import csv
import io
import struct
import warnings
import zlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from bot.settings import Settings
from reports.facts import Answer, TicketFacts
from reports.satisfaction import SMALL_SAMPLE, index_of
from storage.files import load_file
from storage.models import Citizen
from tests.chat_driver import Chat
from tests.followup_helpers import show_latest, ticket
from tests.timetravel import Clock

TITLE = "Phản ánh, kiến nghị và mức độ hài lòng — UBND phường Thanh Xuân"


def _rate(citizen: Chat, staff: Chat, engine, level: str, solved: str = "Rồi") -> str:
    """A citizen files a ticket, staff resolve it, the citizen answers the survey."""
    citizen.start_and_consent()
    code = citizen.file_ticket()
    staff.say(f"/status {code} resolved Đã xử lý")
    show_latest(engine, citizen)
    citizen.press(solved)
    citizen.press(level)
    citizen.press("Bỏ qua")
    return code


def _facts(n: int, satisfied: int, at: datetime) -> list[TicketFacts]:
    return [TicketFacts(id=i, code=f"PA-2026-{i:06d}", category="other", agency_id=None, status="resolved",
                        anonymous=False, created_at=at, due_at=at, first_due_at=at, outcome="handled",
                        closed_at=at, answer=Answer(5 if i < satisfied else 2, "yes", at)) for i in range(n)]


def test_stats_count_resolved_and_rejected_tickets_apart(dispatcher, staff: Chat, sqlite_engine,
                                                          clock: Clock) -> None:
    chats = [Chat(dispatcher, f"citizen-{i}") for i in range(3)]
    codes = []
    for chat in chats:
        chat.start_and_consent()
        codes.append(chat.file_ticket())
    staff.say(f"/status {codes[0]} resolved Đã thay bóng")
    staff.say(f"/status {codes[1]} rejected Không thuộc thẩm quyền")
    staff.say(f"/close {codes[1]}")
    clock.set_local("2026-11-30 10:00")
    staff.say("/stats")
    assert "Thống kê 11/2026 (01/11/2026 – 30/11/2026)" in staff.text
    assert "Tiếp nhận: 3 · Đã giải quyết: 1 · Không thụ lý: 1 · Đang quá hạn: 0" in staff.text
    clock.set_local("2026-12-10 10:00")
    staff.say("/stats month")
    assert "Tiếp nhận: 0 · Đã giải quyết: 0 · Không thụ lý: 0 · Đang quá hạn: 1" in staff.text


def test_stats_give_the_median_working_days_and_the_on_time_share_against_the_first_deadline(
        citizen: Chat, other_citizen: Chat, staff: Chat, clock: Clock) -> None:
    citizen.start_and_consent()
    quick = citizen.file_ticket()
    other_citizen.start_and_consent()
    slow = other_citizen.file_ticket()  # due 8/12
    clock.set_local("2026-11-26 10:00")  # two working days later (24/11 is a holiday)
    staff.say(f"/status {quick} resolved Xong")
    staff.say(f"/extend {slow} 21/12/2026 Chờ vật tư")
    clock.set_local("2026-12-14 10:00")  # fourteen working days after filing, after the first deadline
    staff.say(f"/status {slow} resolved Xong")
    staff.say("/stats quarter")
    assert "Thống kê Q4/2026" in staff.text
    assert "Thời gian xử lý (trung vị): 8 ngày làm việc · Đúng hạn: 1/2 (50.0%)" in staff.text


def test_the_index_by_month_counts_each_months_answers_and_notes_small_counts(
        dispatcher, staff: Chat, sqlite_engine, clock: Clock) -> None:
    _rate(Chat(dispatcher, "c1"), staff, sqlite_engine, "Rất hài lòng")
    _rate(Chat(dispatcher, "c2"), staff, sqlite_engine, "🙂 Hài lòng")
    _rate(Chat(dispatcher, "c3"), staff, sqlite_engine, "Bình thường")
    clock.set_local("2026-12-02 09:00")
    _rate(Chat(dispatcher, "c4"), staff, sqlite_engine, "Rất không hài lòng", solved="Chưa")
    staff.say("/stats 11/2026")
    assert "Chỉ số hài lòng: 66.7% (2/3 lượt đánh giá), dưới 30 lượt: chưa đủ để kết luận · Mục tiêu: 90%" \
        in staff.text
    staff.say("/stats 2026-12")
    assert "Chỉ số hài lòng: 0.0% (0/1 lượt đánh giá)" in staff.text
    staff.say("/stats 2027-01")
    assert "Chỉ số hài lòng: chưa có đánh giá" in staff.text


def test_the_index_has_no_small_sample_note_from_thirty_answers() -> None:
    at = datetime(2026, 11, 10, tzinfo=UTC)
    enough = index_of(_facts(SMALL_SAMPLE, 27, at), at - timedelta(days=1), at + timedelta(days=1))
    fewer = index_of(_facts(SMALL_SAMPLE - 1, 27, at), at - timedelta(days=1), at + timedelta(days=1))
    assert (enough.answers, enough.share, enough.small) == (30, 0.9, False)
    assert fewer.small


def test_stats_break_the_figures_down_by_agency_and_category(citizen: Chat, staff: Chat, sqlite_engine,
                                                              clock: Clock) -> None:
    _rate(citizen, staff, sqlite_engine, "Rất hài lòng")
    staff.say("/stats")
    assert "Theo cơ quan:\n• Bộ phận Một cửa phường Thử Nghiệm: tiếp nhận 1, giải quyết 1" in staff.text
    assert "Theo lĩnh vực:\n• Hạ tầng, vệ sinh môi trường: tiếp nhận 1" in staff.text


def test_a_forgotten_citizens_answer_still_counts(citizen: Chat, staff: Chat, sqlite_engine, clock: Clock) -> None:
    code = _rate(citizen, staff, sqlite_engine, "Rất hài lòng")
    with Session(sqlite_engine) as s:  # what forgetting a citizen leaves: no name, no chat, an anonymous ticket
        person = s.get(Citizen, ticket(sqlite_engine, code).citizen_id)
        assert person is not None
        person.display_name, person.username, person.phone, person.chat_id = None, None, None, ""
        s.add(person)
        s.commit()
    staff.say("/stats")
    assert "100.0% (1/1 lượt đánh giá)" in staff.text


def test_stats_refuse_an_unknown_period(staff: Chat) -> None:
    staff.say("/stats tuần")
    assert "Cách dùng: /stats" in staff.text


def test_stats_are_for_staff_only(citizen: Chat) -> None:
    citizen.say("/stats")
    assert "chỉ dành cho cán bộ" in citizen.text


def _png_text_chunks(data: bytes) -> dict[str, str]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks: dict[str, str] = {}
    pos = 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if kind == b"iTXt":
            key, rest = body.split(b"\0", 1)
            compressed, _method, rest = rest[0], rest[1], rest[2:]
            _lang, _translated, text = rest.split(b"\0", 2)
            chunks[key.decode()] = (zlib.decompress(text) if compressed else text).decode()
        elif kind == b"tEXt":
            key, text = body.split(b"\0", 1)
            chunks[key.decode()] = text.decode("latin-1")
        pos += 12 + length
    return chunks


def test_report_sends_a_png_chart_with_its_title(citizen: Chat, staff: Chat, sqlite_engine, clock: Clock) -> None:
    _rate(citizen, staff, sqlite_engine, "Rất hài lòng")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing from the font is a warning: fail on it
        staff.say("/report 3")
    [answer] = staff.last
    assert "Biểu đồ 3 tháng gần nhất" in answer.text
    [picture] = answer.attachments
    assert picture.kind.value == "photo" and picture.mime_type == "image/png"
    stored = load_file(sqlite_engine, picture.file_id)
    assert stored is not None and stored.name.endswith(".png")
    assert _png_text_chunks(stored.content)["Title"] == TITLE
    width, height = struct.unpack(">II", stored.content[16:24])
    assert (width, height) == (1100, 825)


def test_report_refuses_a_bad_number_of_months(staff: Chat) -> None:
    staff.say("/report 99")
    assert "Cách dùng: /report" in staff.text


def _export(staff: Chat, engine, args: str) -> tuple[str, bytes]:
    staff.say(f"/export {args}")
    [answer] = staff.last
    [document] = answer.attachments
    stored = load_file(engine, document.file_id)
    assert stored is not None
    return stored.name, stored.content


def test_the_xlsx_export_has_a_header_frozen_panes_widths_and_no_personal_data(
        citizen: Chat, staff: Chat, sqlite_engine, clock: Clock) -> None:
    citizen.start_and_consent()
    citizen.say("/feedback")
    citizen.press("Hạ tầng")
    citizen.press("Một cửa")
    citizen.say("Ông Nguyễn Văn Tèo ở số 7 đổ rác ra ngõ, gọi 0912345678.")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    citizen.send(contact_phone="0987654321")
    citizen.press("Gửi phản ánh")
    code = ticket(sqlite_engine, "PA-2026-000001").code
    staff.say(f"/status {code} resolved Đã nhắc nhở")
    show_latest(sqlite_engine, citizen)
    citizen.press("Rồi")
    citizen.press("Rất hài lòng")
    citizen.say("Cảm ơn chị Hà đã xử lý, số tôi 0987654321.")
    name, content = _export(staff, sqlite_engine, "xlsx month")
    assert name == "phan-anh-11-2026.xlsx"
    sheet = load_workbook(io.BytesIO(content)).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Mã", "Lĩnh vực", "Cơ quan", "Tình trạng"] and sheet[1][0].font.b
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["B"].width == 30
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["Mã"] == code and row["Kết quả"] == "Đã giải quyết" and row["Mức hài lòng (1-5)"] == 5
    assert row["Đúng hạn"] == "Có" and row["Đã giải quyết (người dân)"] == "đã giải quyết"
    cells = " ".join(str(c.value) for r in sheet.iter_rows() for c in r if c.value is not None)
    for personal in ("Lan", "citizen-1", "0987654321", "0912345678", "Tèo", "Cảm ơn chị Hà", "console"):
        assert personal not in cells


def test_the_csv_export_opens_in_spreadsheets(citizen: Chat, staff: Chat, sqlite_engine, clock: Clock) -> None:
    code = _rate(citizen, staff, sqlite_engine, "🙂 Hài lòng")
    name, content = _export(staff, sqlite_engine, "csv")
    assert name.endswith(".csv") and content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][0] == "Mã" and rows[1][0] == code and "Hài lòng" in rows[1]


def test_export_refuses_an_unknown_format(staff: Chat) -> None:
    staff.say("/export pdf")
    assert "Cách dùng: /export csv|xlsx" in staff.text


@pytest.fixture
def cli_env(settings: Settings, sqlite_engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """`feedback-bot` run in this process on the test database."""
    from bot.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("KNOWLEDGE_DIR", str(Path(__file__).parent / "fixtures" / "core_kb"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_the_cli_prints_stats_and_writes_the_chart_and_exports(citizen: Chat, staff: Chat, sqlite_engine,
                                                               cli_env: Path, capsys, clock: Clock) -> None:
    from bot.cli import main

    code = _rate(citizen, staff, sqlite_engine, "Rất hài lòng")
    assert main(["stats", "month"]) == 0
    assert "Chỉ số hài lòng: 100.0% (1/1 lượt đánh giá)" in capsys.readouterr().out
    assert main(["report", "--png", "chart.png", "--months", "2"]) == 0
    assert _png_text_chunks((cli_env / "chart.png").read_bytes())["Title"] == TITLE
    assert main(["export", "--format", "xlsx", "--out", "all.xlsx", "--since", "2026-11-01"]) == 0
    sheet = load_workbook(cli_env / "all.xlsx").active
    assert [c.value for c in sheet["A"]] == ["Mã", code]
    assert main(["export", "--format", "csv", "--out", "none.csv", "--since", str(date(2026, 12, 1))]) == 0
    assert (cli_env / "none.csv").read_bytes().decode("utf-8-sig").count("\r\n") == 1
    assert main(["export", "--format", "csv", "--out", "x.csv", "--since", "hôm qua"]) == 2
