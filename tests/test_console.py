"""The console chat: a real `feedback-bot chat` process driven through a pipe, as a script would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import CORE_KB, ROOT


def _chat(db: Path, lines: list[str], *extra: str) -> str:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "KNOWLEDGE_DIR": str(CORE_KB),
           "ADMIN_IDS": "console:admin", "STAFF_CHAT": "", "TELEGRAM_BOT_TOKEN": ""}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "chat", *extra], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_buttons_print_numbered_and_typing_the_number_presses_them(tmp_path: Path) -> None:
    out = _chat(tmp_path / "c.db", ["/start", "1"])
    assert "[1] ✅ Tôi đồng ý" in out and "[1] 📝 Gửi phản ánh, kiến nghị" in out


def test_a_piped_script_files_a_ticket_and_staff_answer_reaches_the_citizen(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    citizen = _chat(db, ["/start", "1", "1", "6", "1", "Ống nước vỡ trước số 8 ngõ 4", ":photo ong-nuoc.jpg",
                         "1", ":location 20.99 105.81", "2", "1"])
    assert "Mã phản ánh: PA-" in citizen
    code = citizen.split("Mã phản ánh: ")[1].split()[0]

    staff = _chat(db, [f"/reply {code} Đã báo công ty nước sạch.", "/tickets"], "--as-staff")
    assert f"🆕 Phản ánh mới {code}" in staff and "(photo: ong-nuoc.jpg)" in staff
    assert "Đã gửi trả lời" in staff

    later = _chat(db, ["/mine"])
    assert "Đã báo công ty nước sạch." in later


def _readme_script(command: str) -> list[str]:
    """The lines the README's piped example for `command` types (its printf argument, split at \\n)."""
    line = next(line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
                if line.startswith("printf '") and line.endswith(f"| .venv/bin/feedback-bot {command}"))
    return line.split("'")[1].split("\\n")[:-1]


def test_the_readmes_piped_example_files_a_ticket_and_staff_see_it(tmp_path: Path) -> None:
    db = tmp_path / "readme.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "ADMIN_IDS": "console:admin", "STAFF_CHAT": "",
           "TELEGRAM_BOT_TOKEN": "", "KNOWLEDGE_DIR": ""}  # as on a fresh machine: the shipped knowledge base
    def run(command: str, *extra: str) -> str:
        done = subprocess.run([sys.executable, "-m", "bot.cli", "chat", *extra], cwd=ROOT, env=env, timeout=120,
                              input="\n".join(_readme_script(command)) + "\n", capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    citizen = run("chat")
    assert "Mã phản ánh: PA-" in citizen and "Đã hủy" not in citizen
    assert "• Nội dung: Ống nước vỡ trước số 8 ngõ 4" in citizen
    staff = run("chat --as-staff", "--as-staff")
    assert "PA-" in staff and "Ống nước vỡ trước số 8 ngõ 4" in staff


def test_a_number_that_is_no_button_is_not_sent_as_a_message(tmp_path: Path) -> None:
    out = _chat(tmp_path / "c.db", ["/start", "1", "1", "1", "1", "7"])  # step 3 has buttons [1] and [2] only
    assert "Không có nút [7]" in out and "Bước 3/6" in out.split("Không có nút")[0]


def test_console_simulates_unsupported_media(tmp_path: Path) -> None:
    assert "chưa xử lý được nhãn dán (sticker)" in _chat(tmp_path / "c.db", [":sticker"])


def test_a_new_process_continues_the_conversation_where_the_last_one_stopped(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    _chat(db, ["/start", "1", "1", "6", "1"])  # stops at the description step
    resumed = _chat(db, ["Cống thoát nước ngõ 7 tắc, mùi hôi"])
    assert "Bước 4/6" in resumed


def test_the_staff_console_writes_the_report_chart_and_prints_its_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("REPORT_FILES_DIR", str(tmp_path / "files"))
    staff = _chat(tmp_path / "c.db", ["/report 1", "/export csv"], "--as-staff")
    paths = [line.split(": ", 1)[1].rstrip(")") for line in staff.splitlines() if line.strip().startswith("(")]
    assert [Path(p).suffix for p in paths] == [".png", ".csv"]
    assert Path(paths[0]).read_bytes().startswith(b"\x89PNG") and Path(paths[0]).parent == tmp_path / "files"
