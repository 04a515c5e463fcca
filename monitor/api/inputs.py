"""What a caller hands in as data: a pandas DataFrame, a pyarrow Table, or a file path.

Each becomes bounded DataFrame chunks for the profile builder, and a label
that names it in a comparison's document. Paths are read by the file source,
exactly as ``monitor profile`` and ``monitor compare`` read them (CSV,
Parquet, JSON Lines, or a glob), so the same file gives the same profile
through the command line and through the API.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TypeGuard

import pandas as pd
import pyarrow as pa

from monitor.errors import ProfileError
from monitor.sources.files import FileSource

__all__ = ["CHUNK_ROWS", "chunks", "is_path", "is_profile_file", "label"]

CHUNK_ROWS = 100_000
"""Rows per chunk of an in-memory frame or table: the file source's default chunk size."""


def is_path(data: object) -> TypeGuard[str | os.PathLike[str]]:
    """Whether ``data`` names a file (a string or a path object)."""
    return isinstance(data, str | os.PathLike)


def label(data: object) -> str:
    """How a comparison's document names ``data``: the path as given, else its type."""
    if is_path(data):
        return os.fspath(data)
    if isinstance(data, pa.Table):
        return "pyarrow.Table"
    return type(data).__name__


def chunks(data: object, what: str) -> Iterator[pd.DataFrame]:
    """The rows of ``data`` in chunks of at most ``CHUNK_ROWS``; ``what`` names it in errors.

    An empty frame or table still yields one empty chunk, so its columns are known.

    Raises:
        ProfileError: ``data`` is none of the accepted kinds.
        SourceError: a file cannot be found or read (the file source's messages).
    """
    if isinstance(data, pd.DataFrame):
        for start in range(0, max(len(data), 1), CHUNK_ROWS):
            yield data.iloc[start:start + CHUNK_ROWS]
    elif isinstance(data, pa.Table):
        batches = data.to_batches(max_chunksize=CHUNK_ROWS)
        for batch in batches or [pa.RecordBatch.from_pylist([], schema=data.schema)]:
            yield batch.to_pandas(split_blocks=True)
    elif is_path(data):
        source = FileSource(FileSource.Config(type="file", path=os.fspath(data)))
        yield from source.read()
    else:
        raise ProfileError(f"{what} must be a pandas DataFrame, a pyarrow Table or the path of "
                           f"a CSV, Parquet or JSON Lines file, got {type(data).__name__}")


def is_profile_file(data: object) -> TypeGuard[str | os.PathLike[str]]:
    """Whether ``data`` is the path of a profile JSON file (as ``monitor compare`` tells one)."""
    if not is_path(data):
        return False
    path = Path(os.fspath(data))
    if path.suffix != ".json" or not path.is_file():
        return False
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return '"format_version"' in handle.read(4096)
    except OSError:
        return False
