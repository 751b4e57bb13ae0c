"""Open311 GeoReport v2 over real HTTP: responses validate against the published JSON Schemas, anonymous tickets
and personal data never appear, bad parameters get the spec's 400, clients are rate limited."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestClient, TestServer
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from sqlmodel import Session

from bot.run import configured_services
from bot.settings import Settings
from open311.server import RateLimit, open311_app
from storage.models import Ticket
from tests.chat_driver import Chat
from tests.conftest import CORE_KB, ROOT, SHARED
from tests.fake_telegram.harness import free_port
from tests.followup_helpers import ticket
from tests.timetravel import Clock

SCHEMAS = SHARED / "external" / "open311-schema"
NAMES = {"mot-cua": "Bộ phận Một cửa phường Thử Nghiệm"}


def _validator(name: str) -> Draft7Validator:
    resources = [(p.name, Resource.from_contents(json.loads(p.read_text()), default_specification=DRAFT7))
                 for p in SCHEMAS.glob("*.json")]
    registry = Registry().with_resources(resources)
    return Draft7Validator(json.loads((SCHEMAS / name).read_text()), registry=registry)


def _assert_valid(document: Any, schema: str) -> None:
    if not (SCHEMAS / schema).is_file():
        pytest.skip(f"the Open311 JSON Schemas are not in {SCHEMAS} (../shared/external/)")
    errors = [e.message for e in _validator(schema).iter_errors(document)]
    assert not errors, errors
    for item in document if isinstance(document, list) else [document]:
        for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
            if item.get(key) is not None:  # "format: date-time", which the validator does not check by itself
                assert datetime.fromisoformat(item[key]).tzinfo is not None


@pytest.fixture
async def api(settings: Settings, sqlite_engine) -> AsyncIterator[TestClient]:
    """The Open311 app served over HTTP on an ephemeral port."""
    async with TestClient(TestServer(open311_app(sqlite_engine, settings, NAMES))) as client:
        yield client


@pytest.fixture
def tickets(citizen: Chat, other_citizen: Chat, staff: Chat, sqlite_engine, clock: Clock) -> dict[str, str]:
    """A public ticket with an agreed place, a resolved one, and an anonymous one."""
    citizen.start_and_consent()
    public = citizen.file_ticket("Ông Trần Văn Bảy (0912345678) đổ phế thải ở ngõ 5.")
    resolved = citizen.file_ticket()
    staff.say(f"/status {resolved} resolved Đã thu gom")
    other_citizen.start_and_consent()
    other_citizen.say("/feedback")
    other_citizen.press("Thái độ")
    other_citizen.press("Một cửa")
    other_citizen.say("Cán bộ một cửa đòi tiền.")
    other_citizen.press("Bỏ qua")
    other_citizen.press("Bỏ qua")
    other_citizen.press("ẩn danh")
    other_citizen.press("Gửi phản ánh")
    anonymous = ticket(sqlite_engine, "PA-2026-000003")
    assert anonymous.anonymous
    with Session(sqlite_engine) as s:
        row = s.get(Ticket, ticket(sqlite_engine, public).id)
        assert row is not None
        row.latitude, row.longitude, row.address, row.publish_location = 21.0012345, 105.8165432, "Số 7 ngõ 5", True
        s.add(row)
        s.commit()
    clock.set_local("2026-11-25 10:00")
    return {"public": public, "resolved": resolved, "anonymous": anonymous.code}


async def _get(api: TestClient, path: str, status: int = 200) -> Any:
    resp = await api.get(f"/open311/v2/{path}")
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/json"
    return await resp.json()


async def test_services_are_the_feedback_categories(api: TestClient) -> None:
    services = await _get(api, "services.json")
    _assert_valid(services, "services.json")
    assert [s["service_code"] for s in services][:2] == ["infrastructure", "public_order"]
    assert services[0]["service_name"] == "Hạ tầng, vệ sinh môi trường"
    definition = await _get(api, "services/attitude.json")
    _assert_valid(definition, "service-definition.json")
    await _get(api, "services/nope.json", 404)


async def test_requests_validate_and_never_show_anonymous_tickets_or_personal_data(
        api: TestClient, tickets: dict[str, str]) -> None:
    found = await _get(api, "requests.json")
    _assert_valid(found, "requests.json")
    assert sorted(r["service_request_id"] for r in found) == sorted([tickets["public"], tickets["resolved"]])
    body = json.dumps(found, ensure_ascii=False)
    for personal in ("Lan", "citizen-1", "console", "0912345678", "Trần Văn Bảy", "Số 7 ngõ 5", "đòi tiền"):
        assert personal not in body
    public = next(r for r in found if r["service_request_id"] == tickets["public"])
    assert (public["lat"], public["long"]) == (21.001, 105.817)
    assert public["status"] == "open" and public["agency_responsible"] == NAMES["mot-cua"]
    resolved = next(r for r in found if r["service_request_id"] == tickets["resolved"])
    assert (resolved["status"], resolved["status_notes"]) == ("closed", "Đã giải quyết")
    assert resolved["lat"] is None and resolved["long"] is None


async def test_a_place_is_published_only_with_the_citizens_agreement(api: TestClient, tickets: dict[str, str],
                                                                      sqlite_engine) -> None:
    with Session(sqlite_engine) as s:
        row = s.get(Ticket, ticket(sqlite_engine, tickets["public"]).id)
        assert row is not None
        row.publish_location = False
        s.add(row)
        s.commit()
    [one] = await _get(api, f"requests/{tickets['public']}.json")
    assert one["lat"] is None and one["long"] is None


async def test_one_request_by_its_code(api: TestClient, tickets: dict[str, str]) -> None:
    found = await _get(api, f"requests/{tickets['resolved'].lower()}.json")
    _assert_valid(found, "requests.json")
    assert [r["service_request_id"] for r in found] == [tickets["resolved"]]
    missing = await _get(api, f"requests/{tickets['anonymous']}.json", 404)
    assert missing[0]["code"] == 404 and "description" in missing[0]


async def test_the_specs_filters(api: TestClient, tickets: dict[str, str]) -> None:
    closed = await _get(api, "requests.json?status=closed")
    assert [r["service_request_id"] for r in closed] == [tickets["resolved"]]
    both = await _get(api, "requests.json?status=open,closed&service_code=infrastructure")
    assert len(both) == 2
    assert await _get(api, "requests.json?service_code=attitude") == []
    early = await _get(api, "requests.json?start_date=2026-10-01T00:00:00%2B07:00&end_date=2026-11-01T00:00:00Z")
    assert early == []
    by_id = await _get(api, f"requests.json?service_request_id={tickets['public']},{tickets['anonymous']}"
                            "&status=closed")
    assert [r["service_request_id"] for r in by_id] == [tickets["public"]]


@pytest.mark.parametrize("query", [
    "start_date=yesterday", "end_date=2026-13-01", "start_date=2026-11-20T00:00:00Z&end_date=2026-11-01T00:00:00Z",
    "start_date=2026-01-01T00:00:00Z&end_date=2026-11-01T00:00:00Z", "status=pending",
])
async def test_bad_parameters_get_the_specs_error_with_400(api: TestClient, query: str) -> None:
    errors = await _get(api, f"requests.json?{query}", 400)
    assert len(errors) == 1 and errors[0]["code"] == 400 and errors[0]["description"]


async def test_a_client_over_the_rate_limit_gets_429(settings: Settings, sqlite_engine) -> None:
    app = open311_app(sqlite_engine, settings, NAMES, rate=RateLimit(per_minute=3))
    async with TestClient(TestServer(app)) as client:
        statuses = [(await client.get("/open311/v2/services.json")).status for _ in range(4)]
        resp = await client.get("/open311/v2/services.json")
        assert statuses == [200, 200, 200, 429] and int(resp.headers["Retry-After"]) >= 1
        assert (await resp.json())[0]["code"] == 429


def test_the_rate_limit_refills_with_time() -> None:
    now = [0.0]
    limit = RateLimit(per_minute=60, clock=lambda: now[0])
    assert all(limit.allow("1.2.3.4") == 0 for _ in range(60))
    assert limit.allow("1.2.3.4") > 0 and limit.allow("5.6.7.8") == 0
    now[0] += 1.0
    assert limit.allow("1.2.3.4") == 0


async def test_discovery_names_the_endpoint_and_writes_are_refused(api: TestClient) -> None:
    discovery = await _get(api, "discovery.json")
    [endpoint] = discovery["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["formats"] == ["application/json"]
    resp = await api.post("/open311/v2/requests.json", data={"service_code": "other"})
    assert resp.status == 405 and (await resp.json())[0]["code"] == 405
    await _get(api, "requests.xml", 404)


def test_run_serves_open311_whenever_it_runs_an_http_server(settings: Settings) -> None:
    polling = settings.model_copy(update={"telegram_bot_token": "1:x"})
    webhook = polling.model_copy(update={"telegram_webhook_url": "https://bot.example/tg"})
    zalo = settings.model_copy(update={"zalo_access_token": "z"})
    assert [n for n, _ in configured_services(polling)] == ["telegram"]
    assert [n for n, _ in configured_services(webhook)] == ["telegram", "open311"]
    assert [n for n, _ in configured_services(zalo)] == ["zalo", "open311"]
    assert [n for n, _ in configured_services(polling, http_only=True)] == ["open311"]
    off = webhook.model_copy(update={"open311_enabled": False})
    assert [n for n, _ in configured_services(off)] == ["telegram"]


async def test_feedback_bot_serve_answers_open311_over_http(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "KNOWLEDGE_DIR": str(CORE_KB),
           "TELEGRAM_BOT_TOKEN": "", "ZALO_ACCESS_TOKEN": "", "STAFF_CHAT": ""}
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        async with ClientSession() as http:
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/open311/v2/services.json") as resp:
                        services = await resp.json()
                        break
                except OSError:
                    assert process.poll() is None and time.monotonic() < deadline, process.stderr
                    time.sleep(0.2)
        _assert_valid(services, "services.json")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
