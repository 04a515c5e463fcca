"""Reference profiles in the store: versions, idempotent saves, listings."""

from __future__ import annotations

import pytest

from monitor.store import Store
from tests.integration.store.store_factories import HOUR, T0

pytestmark = pytest.mark.integration

BODY = {"columns": {"age": {"kind": "numeric", "mean": 41.5, "histogram": [1, 2, 3]}}}


def test_versions_count_up_per_name(store: Store) -> None:
    """Each new content of a name gets the next version; names are independent."""
    first = store.save_profile("credit", BODY, "h1", 100, T0)
    second = store.save_profile("credit", {"columns": {}}, "h2", 50, T0 + HOUR)
    other = store.save_profile("fraud", BODY, "h1", 100, T0)
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert second.rows == 50 and second.created_at == T0 + HOUR


def test_saving_the_same_content_twice_is_idempotent(store: Store) -> None:
    """Saving the latest version's hash again returns that version and adds none."""
    first = store.save_profile("credit", BODY, "h1", 100, T0)
    again = store.save_profile("credit", BODY, "h1", 100, T0 + HOUR)
    assert again == first
    assert [p.version for p in store.list_profiles()] == [1]


def test_old_content_after_a_change_is_a_new_version(store: Store) -> None:
    """Only the latest version is compared: going back to old content is a change."""
    store.save_profile("credit", BODY, "h1", 100, T0)
    store.save_profile("credit", {}, "h2", 1, T0)
    back = store.save_profile("credit", BODY, "h1", 100, T0)
    assert back.version == 3


def test_get_profile_latest_or_by_version(store: Store) -> None:
    """get_profile returns the latest by default, a given version on request, else None."""
    store.save_profile("credit", BODY, "h1", 100, T0)
    store.save_profile("credit", {"columns": {}}, "h2", 50, T0)
    latest = store.get_profile("credit")
    assert latest is not None and latest.version == 2 and latest.body == {"columns": {}}
    first = store.get_profile("credit", 1)
    assert first is not None and first.body == BODY and first.content_hash == "h1"
    assert store.get_profile("credit", 3) is None
    assert store.get_profile("missing") is None


def test_list_profiles_leaves_bodies_out(store: Store) -> None:
    """list_profiles returns every version, ordered by name and version, with empty bodies."""
    store.save_profile("fraud", BODY, "f1", 10, T0)
    store.save_profile("credit", BODY, "c1", 10, T0)
    store.save_profile("credit", {}, "c2", 10, T0)
    listed = [(p.name, p.version, p.body) for p in store.list_profiles()]
    assert listed == [("credit", 1, {}), ("credit", 2, {}), ("fraud", 1, {})]


def test_non_finite_numbers_in_a_body_become_null(store: Store) -> None:
    """NaN and infinities in a body are stored as JSON null, keeping the text strict JSON."""
    body = {"mean": float("nan"), "max": [float("inf"), 1.0]}
    saved = store.save_profile("credit", body, "h", 1, T0)
    assert saved.body == {"mean": None, "max": [None, 1.0]}
    loaded = store.get_profile("credit")
    assert loaded is not None and loaded.body == saved.body
