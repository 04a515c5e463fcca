"""What runs on the executors: one partial profile per partition, merged in a tree.

Each partition of a window's DataFrame reaches Python as Arrow record
batches (``mapInArrow``); ``profile_partition`` gathers them into pandas
chunks of ``chunk_rows`` rows and feeds them to the project's own
``ProfileBuilder``, on the reference's edges, then emits the built profile
as one row: its ``to_dict`` JSON, zlib-compressed. ``tree_merge`` merges
those rows level by level on the executors, at most ``FAN_IN`` partials
per merge (a shuffle per level), until one is left: only that merged
profile travels to the driver, so the driver's memory does not depend on
the number of rows or partitions.

What the merge keeps exact is what ``Profile.merge`` keeps exact: counts,
missing and invalid values, min/max, histogram and fine counts on the
reference's edges, category counts (up to ``top_k``); mean and variance by
Chan's formula (equal to one pass to float rounding). The samples are
uniform samples of the union, drawn differently from one pass's.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

import pandas as pd
import pyarrow as pa

from monitor.profiles import Profile, ProfileBuilder

__all__ = [
    "CHUNK_ROWS",
    "FAN_IN",
    "PARTIAL_SCHEMA",
    "arrow_chunks",
    "decode_profile",
    "encode_profile",
    "merge_encoded",
    "profile_on_cluster",
    "profile_partition",
    "to_pandas",
    "tree_merge",
]

CHUNK_ROWS = 100_000
FAN_IN = 8
"""Partials merged at once, at every level of the tree."""
PARTIAL_SCHEMA = "partial binary"


def encode_profile(profile: Profile) -> bytes:
    """A profile as compressed JSON (``Profile.to_dict``), the form partials travel in."""
    return zlib.compress(json.dumps(profile.to_dict()).encode("utf-8"), 1)


def decode_profile(data: bytes) -> Profile:
    """The profile ``encode_profile`` wrote."""
    return Profile.from_dict(json.loads(zlib.decompress(data)))


def merge_encoded(a: bytes, b: bytes) -> bytes:
    """Two encoded profiles merged, encoded."""
    return encode_profile(decode_profile(a).merge(decode_profile(b)))


def to_pandas(batches: list[pa.RecordBatch]) -> pd.DataFrame:
    # Booleans with nulls stay booleans (pandas' own files keep that in their metadata,
    # which Spark's batches do not carry): otherwise they would read as categories.
    return pa.Table.from_batches(batches).to_pandas(
        split_blocks=True, types_mapper={pa.bool_(): pd.BooleanDtype()}.get)


def arrow_chunks(batches: Iterator[pa.RecordBatch], rows: int = CHUNK_ROWS
                 ) -> Iterator[pd.DataFrame]:
    """Record batches gathered into pandas chunks of about ``rows`` rows.

    Spark hands batches of 10,000 rows; the builder's cost per chunk is
    better spread over larger ones.
    """
    pending: list[pa.RecordBatch] = []
    size = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        size += batch.num_rows
        if size >= rows:
            yield to_pandas(pending)
            pending, size = [], 0
    if pending:
        yield to_pandas(pending)


def partition_id() -> int:
    """The running task's partition (0 outside a task): the seed of its sampling."""
    from pyspark import TaskContext

    context = TaskContext.get()
    return int(context.partitionId()) if context is not None else 0


def profile_partition(reference: Any, options: Mapping[str, Any], chunk_rows: int,
                      batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """One partition's profile as one row (``mapInArrow``); ``reference`` is a broadcast
    of the encoded reference, or None when a reference is being built."""
    known = decode_profile(reference.value) if reference is not None else None
    builder = ProfileBuilder(reference=known, seed=partition_id(), **options)
    for chunk in arrow_chunks(batches, chunk_rows):
        builder.update(chunk)
    yield pa.RecordBatch.from_pydict({"partial": [encode_profile(builder.build())]},
                                     schema=pa.schema([("partial", pa.binary())]))


def _fold(merge: Callable[[bytes, bytes], bytes], items: Iterator[bytes]) -> Iterator[bytes]:
    merged: bytes | None = None
    for item in items:
        merged = item if merged is None else merge(merged, item)
    if merged is not None:
        yield merged


def _keyed(groups: int, index: int, items: Iterator[bytes]) -> Iterator[tuple[int, bytes]]:
    for item in items:
        yield index % groups, item


def tree_merge(partials: Any, merge: Callable[[bytes, bytes], bytes] = merge_encoded,
               fan_in: int = FAN_IN) -> bytes | None:
    """Merge an RDD of encoded partials on the executors, ``fan_in`` at a time per level,
    and bring the one result to the driver (None when there was no partial)."""
    level = partials.mapPartitions(partial(_fold, merge))
    groups = level.getNumPartitions()
    while groups > 1:
        groups = -(-groups // fan_in)
        level = (level.mapPartitionsWithIndex(partial(_keyed, groups))
                 .reduceByKey(merge, groups).values())
    found = level.collect()
    return found[0] if found else None


def profile_on_cluster(frame: Any, reference: Profile | None, options: Mapping[str, Any],
                       chunk_rows: int = CHUNK_ROWS) -> Profile:
    """The profile of a Spark DataFrame's rows, built per partition and merged in a tree.

    ``options`` are ``ProfileBuilder``'s (not ``reference`` or ``seed``).
    """
    context = frame.sparkSession.sparkContext
    shared = context.broadcast(encode_profile(reference)) if reference is not None else None
    try:
        partials = frame.mapInArrow(partial(profile_partition, shared, dict(options), chunk_rows),
                                    PARTIAL_SCHEMA)
        merged = tree_merge(partials.rdd.map(lambda row: bytes(row[0])))
    finally:
        if shared is not None:
            shared.unpersist()
    if merged is None:  # no partition at all: the profile of no rows
        return ProfileBuilder(reference=reference, **options).build()
    return decode_profile(merged)
