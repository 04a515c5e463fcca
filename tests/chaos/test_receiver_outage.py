"""A webhook receiver down for an hour (compressed): every alert arrives once when it is back."""

from __future__ import annotations

import random

import pytest

from tests.chaos.scenarios import receiver_outage
from tests.chaos.world import World

pytestmark = [pytest.mark.chaos, pytest.mark.integration, pytest.mark.postgres]


def test_receiver_down_for_an_hour_gets_every_alert_once(world: World, chaos_seed: int) -> None:
    """503 for a compressed hour while alerts fire and resolve: nothing lost, nothing doubled."""
    outcome = receiver_outage(world, random.Random(chaos_seed), outage=30)
    print(outcome.summary())
    assert not outcome.problems, outcome.report()
    assert outcome.audit.lost == outcome.audit.duplicated == 0
    assert outcome.audit.delivered == outcome.audit.sent >= 4
