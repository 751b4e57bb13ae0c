"""The fake Bot API server itself: Telegram's error bodies and flood limits."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest

from tests.fake_telegram.limits import FloodControl, FloodLimits
from tests.fake_telegram.server import FakeTelegram

RESPONSES = Path(__file__).resolve().parents[2] / "shared" / "external" / "telegram-responses"


def test_sustained_rate_over_30_a_second_is_refused_with_retry_after() -> None:
    flood = FloodControl(FloodLimits())
    results = [flood.check(1000 + i, False, now=i / 60) for i in range(120)]  # 60/s for two seconds
    assert results[:30] == [None] * 30
    assert any(r == 1 for r in results[30:])


def test_evenly_paced_sends_bunched_by_a_stall_pass_but_not_in_strict_window_mode() -> None:
    times = [i / 28 for i in range(84)]
    stalled = [t if not 1.0 <= t < 1.15 else 1.15 for t in times]  # a 150 ms stall, then a burst
    bucket = FloodControl(FloodLimits())
    assert all(bucket.check(1000 + i, False, now=t) is None for i, t in enumerate(stalled))
    window = FloodControl(FloodLimits(strict_window=True))
    assert any(window.check(1000 + i, False, now=t) is not None for i, t in enumerate(stalled))


def test_private_chat_allows_a_small_burst_then_one_a_second() -> None:
    flood = FloodControl(FloodLimits(private_burst=3))
    assert [flood.check(5, False, now=0.0) for _ in range(4)] == [None, None, None, 1]
    assert flood.check(5, False, now=1.0) is None


def test_group_gets_20_a_minute() -> None:
    flood = FloodControl(FloodLimits())
    assert all(flood.check(-100, True, now=i * 0.01) is None for i in range(20))
    assert flood.check(-100, True, now=0.5) is not None
    assert flood.check(-100, True, now=3.6) is None  # one more every 3 seconds


@pytest.mark.skipif(not RESPONSES.is_dir(), reason=f"{RESPONSES} is absent (shared test data)")
async def test_error_bodies_are_shaped_like_telegrams() -> None:
    async with FakeTelegram(limits=FloodLimits(private_burst=1)) as tg:
        tg.add_private_chat(5)
        url = f"{tg.api_base}/bot{tg.token}/sendMessage"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json={"chat_id": 5, "text": "x" * 4097}) as resp:
                too_long = await resp.json()
            async with http.post(url, json={"chat_id": 5, "text": "a"}) as resp:
                assert resp.status == 200
            async with http.post(url, data={"chat_id": "5", "text": "b"}) as resp:
                flood = await resp.json()
            async with http.post(url, json={"chat_id": 6, "text": "c"}) as resp:
                assert (await resp.json())["description"] == "Bad Request: chat not found"
    expected_429 = json.loads((RESPONSES / "too_many_requests.json").read_text())
    assert too_long == json.loads((RESPONSES / "too_long.json").read_text())
    assert flood.keys() == expected_429.keys() and flood["error_code"] == 429
    assert flood["description"] == f"Too Many Requests: retry after {flood['parameters']['retry_after']}"
