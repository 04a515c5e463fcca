"""kill -9 at random points, restart, again: every window once, every alert delivered once."""

from __future__ import annotations

import random

import pytest

from tests.chaos.scenarios import kill_loop
from tests.chaos.world import World

pytestmark = [pytest.mark.chaos, pytest.mark.integration, pytest.mark.postgres]


def test_kill_9_loop_leaves_no_gap_and_no_double(world: World, chaos_seed: int) -> None:
    """Seven SIGKILLs, the first in the brand-new monitor's first window: no gap, no double."""
    # Delivering is left to the "anywhere" kills here: a daemon killed while delivering holds
    # its claim on the message for 2 minutes, longer than this test may take.
    outcome = kill_loop(world, random.Random(chaos_seed), kills=7,
                        phases=("reading", "storing", "anywhere"))
    print(outcome.summary())
    assert not outcome.problems, outcome.report()
    assert outcome.audit.lost == outcome.audit.duplicated == 0
