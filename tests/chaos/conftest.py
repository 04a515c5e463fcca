"""Fixtures of the chaos tests: a seeded generator and a world on a fresh PostgreSQL schema.

Set ``MONITOR_CHAOS_SEED`` to replay a failed run: the seed decides the drift
plan and where every kill and cut lands.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.world import World


@pytest.fixture
def chaos_seed() -> int:
    """The seed of this test's random choices, printed so a failure can be replayed."""
    seed = int(os.environ.get("MONITOR_CHAOS_SEED") or secrets.randbelow(2**31))
    print(f"chaos seed {seed}: replay with MONITOR_CHAOS_SEED={seed}")
    return seed


@pytest.fixture
def world(postgres_schema_url: str, tmp_path: Path, chaos_seed: int) -> Iterator[World]:
    """Logs 12 minutes ahead, a receiver, rule files in tmp_path; the receiver stops after."""
    created = World.create(tmp_path, postgres_schema_url, chaos_seed, minutes=12)
    try:
        yield created
    finally:
        created.close()
