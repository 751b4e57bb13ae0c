"""Paths and small builders shared by the knowledge-base tests."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_KB = ROOT / "tests" / "fixtures" / "kb"
SHARED = ROOT.parent / "shared"
NATIONAL_RECORDS = SHARED / "external" / "tthc" / "procedures.jsonl.gz"
DVC_QUESTIONS = SHARED / "external" / "dvc-questions" / "dev.jsonl"
DEV_QUESTIONS = ROOT / "tests" / "data" / "dev_questions.jsonl"
SHARED_MISSING = "the shared data folder ../shared/external is not present"


def write_kb(root: Path, procedures: list[dict], agencies: list[dict] | None = None) -> Path:
    """A knowledge-base directory with the given entries (agencies default to the fixture's)."""
    (root / "procedures").mkdir(parents=True, exist_ok=True)
    if agencies is None:
        agencies = yaml.safe_load((FIXTURE_KB / "agencies.yaml").read_text(encoding="utf-8"))["agencies"]
    (root / "agencies.yaml").write_text(yaml.safe_dump({"agencies": agencies}, allow_unicode=True), "utf-8")
    (root / "procedures" / "test.yaml").write_text(
        yaml.safe_dump({"procedures": procedures}, allow_unicode=True), "utf-8"
    )
    return root


def fixture_procedures() -> list[dict]:
    """The fixture's procedures as plain mappings (to be varied by a test)."""
    data = yaml.safe_load((FIXTURE_KB / "procedures" / "ho_tich.yaml").read_text(encoding="utf-8"))
    return data["procedures"]
