"""The database goes away and comes back: the daemon lives on and loses or doubles nothing."""

from __future__ import annotations

import random

import pytest

from tests.chaos.scenarios import store_outage
from tests.chaos.world import World

pytestmark = [pytest.mark.chaos, pytest.mark.integration, pytest.mark.postgres]


@pytest.mark.parametrize(("mode", "moment"), [("cut", "delivering"), ("freeze", "reading")])
def test_database_outage_loses_and_doubles_nothing(world: World, chaos_seed: int, mode: str,
                                                   moment: str) -> None:
    """12 s of refused (or hung) connections: alive, probes right, each window and alert once."""
    outcome = store_outage(world, random.Random(chaos_seed), outage=12, mode=mode, moment=moment)
    print(outcome.summary())
    assert not outcome.problems, outcome.report()
    assert outcome.audit.lost == outcome.audit.duplicated == 0
