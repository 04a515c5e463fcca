"""Parquet row groups read in bounded memory, batch by batch even inside one row group.

The dataset scanner decodes a whole row group before it slices it into
batches, so a file written as one row group (what pyarrow and pandas write
for up to a million rows) is held decoded at once: some 400 MB for 29 columns
of a million rows. ``ParquetFile.iter_batches`` over a small buffered
stream, without pre-buffering the column chunks, decodes each column's pages
only as a batch needs them, so memory follows the batch size, not the row
group's; the memory pool hands what it freed back to the system after each
batch (else its per-thread caches keep some 40 MB more). Each row group is
read on its own, so the batches end where the scanner's do and a file gives
the same chunks, and so the same profile, either way.

The batches are the scanner's: the dataset's schema (its metadata too, which
``to_pandas`` reads), hive partition keys filled in, the window's filter
applied row by row. A file whose columns differ from the dataset's schema (a
dataset of files written with several schemas) goes through the scanner,
which reconciles them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

__all__ = ["BUFFER_BYTES", "group_batches"]

BUFFER_BYTES = 1 << 16
"""Bytes read from the file at a time per column (pages are decoded from this buffer)."""


def group_batches(
    fragment: ds.ParquetFileFragment, groups: Sequence[ds.ParquetFileFragment],
    schema: pa.Schema, pushdown: ds.Expression | None, batch_size: int,
) -> Iterator[pa.RecordBatch]:
    """The rows of ``groups`` (row groups of ``fragment``'s file) in batches of ``schema``.

    Only the rows ``pushdown`` keeps are yielded, as the scanner's ``filter`` does.
    """
    keys = ds.get_partition_keys(fragment.partition_expression)
    with pq.ParquetFile(fragment.path, filesystem=fragment.filesystem, buffer_size=BUFFER_BYTES,
                        pre_buffer=False, arrow_extensions_enabled=False) as file:
        stored = [field.name for field in schema if field.name not in keys]
        if not _matches(file.schema_arrow, schema, stored, keys):
            for group in groups:
                yield from group.to_batches(schema=schema, filter=pushdown,
                                            batch_size=batch_size)
            return
        for group in groups:
            ids = [info.id for info in group.row_groups]
            for batch in file.iter_batches(batch_size=batch_size, row_groups=ids,
                                           columns=stored):
                arrays = [pa.repeat(pa.scalar(keys[field.name], field.type), batch.num_rows)
                          if field.name in keys else batch.column(field.name)
                          for field in schema]
                whole = pa.RecordBatch.from_arrays(arrays, schema=schema)
                yield whole if pushdown is None else whole.filter(pushdown)
                pa.default_memory_pool().release_unused()


def _matches(
    written: pa.Schema, schema: pa.Schema, stored: list[str], keys: dict[str, object]
) -> bool:
    """Whether the file holds each of the dataset's columns once, in the dataset's type."""
    if any(schema.get_field_index(key) < 0 for key in keys):
        return False
    for name in stored:
        if written.get_all_field_indices(name) != [written.get_field_index(name)] or (
                written.field(name).type != schema.field(name).type):
            return False
    return True
