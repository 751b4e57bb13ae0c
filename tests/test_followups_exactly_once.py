"""Two worker processes on PostgreSQL race over 1,000 due follow-ups: each is queued exactly once."""

from __future__ import annotations

import pytest

from tests.followup_load import delivered, duplicates, race, seed


@pytest.mark.postgres
def test_two_workers_queue_each_of_a_thousand_due_follow_ups_once(pg_url: str) -> None:
    seeded = seed(pg_url, 1000)
    queued, _ = race(pg_url, workers=2)
    found = delivered(pg_url)
    assert duplicates(found) == 0
    assert set(found.apologies) == set(seeded.overdue) and set(found.apologies.values()) == {1}
    assert set(found.overdue_notices) == set(seeded.overdue) == set(found.escalations)
    assert set(found.reminders) == set(seeded.reminders) and set(found.reminders.values()) == {1}
    assert set(found.surveys) == set(seeded.surveys) and set(found.surveys.values()) == {1}
    assert found.digests == 1
    assert sum(queued) == len(seeded.overdue) + len(seeded.reminders) + len(seeded.surveys) + 1
    assert all(q > 0 for q in queued), f"one worker did all the work: {queued}"
