"""Formatting of frames as Lightly CSV text with pyarrow's string kernels.

Floats are cast to text by pyarrow, which writes the shortest text that reads
back to the same float32 or float64 value. A chunk of rows is formatted with
a handful of kernel calls: one cast for the whole embedding block, one join
per row of the vector and one join across columns.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from embedframe._layout import FILENAMES, LABELS, Layout

__all__ = ["format_lines", "quote_text"]

#: Values formatted per step: an estimated 10 MB of text at 10 bytes per value.
_CHUNK_VALUES = 1 << 20


def format_lines(frame: pd.DataFrame, layout: Layout) -> Iterator[memoryview]:
    """Yield the CSV lines of ``frame`` as consecutive byte chunks.

    Row chunks are formatted on a thread pool, because pyarrow's kernels
    release the GIL. At most ``workers + 1`` chunks are in memory at once and
    they are yielded in row order. Columns follow ``layout.columns``.
    """
    matrix = frame[list(layout.embeddings)].to_numpy()
    rows_per_chunk = max(1, _CHUNK_VALUES // max(1, layout.dim))
    starts = list(range(0, len(frame), rows_per_chunk))
    workers = max(1, min(os.cpu_count() or 1, 8))

    def format_chunk(start: int) -> memoryview:
        stop = start + rows_per_chunk
        return _format_rows(frame.iloc[start:stop], matrix[start:stop], layout)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: list[Future[memoryview]] = []
        for start in starts:
            pending.append(pool.submit(format_chunk, start))
            if len(pending) > workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def quote_text(value: str) -> str:
    """Quote one value if it contains a comma, a quote or a line break.

    Examples
    --------
    >>> quote_text('say "hi", twice')
    '"say ""hi"", twice"'
    """
    if any(char in value for char in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _format_rows(
    chunk: pd.DataFrame, matrix: npt.NDArray[Any], layout: Layout
) -> memoryview:
    """Format rows as CSV lines, each ending with a newline."""
    texts = [_column_text(chunk[FILENAMES]), _vector_text(matrix)]
    for name in (*layout.extras, LABELS, *layout.user):
        texts.append(_column_text(chunk[name]))
    lines = pc.binary_join_element_wise(*texts, ",")
    # Joining each line with an empty string, with "\n" as the separator,
    # ends every line with a newline.
    empty = pa.array([""] * len(chunk), type=pa.string())
    lines = pc.binary_join_element_wise(lines, empty, "\n")
    return _string_bytes(lines)


def _vector_text(matrix: npt.NDArray[Any]) -> pa.Array:
    """Return one comma-separated text per row of ``matrix``."""
    rows, dim = matrix.shape
    flat = pa.array(np.ascontiguousarray(matrix).reshape(-1))
    text = pc.cast(flat, pa.string())
    offsets = pa.array(np.arange(0, rows * dim + 1, max(dim, 1), dtype=np.int32))
    if dim == 0:
        return pa.array([""] * rows, type=pa.string())
    return pc.binary_join(pa.ListArray.from_arrays(offsets, text), ",")


def _string_bytes(array: pa.Array) -> memoryview:
    """Return the concatenated values of a string array without copying them."""
    if len(array) == 0:
        return memoryview(b"")
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)
    begin = int(offsets[array.offset])
    end = int(offsets[array.offset + len(array)])
    return memoryview(array.buffers()[2])[begin:end]


def _column_text(series: pd.Series) -> pa.Array:
    values = series.to_numpy()
    if values.dtype.kind == "f":
        return pc.cast(pa.array(values), pa.string())
    if values.dtype.kind in "iub":
        return pc.cast(pa.array(values.astype(np.int64)), pa.string())
    text = pa.array(series.astype("str").to_numpy(), type=pa.string())
    return _quote_array(pc.fill_null(text, ""))


def _quote_array(text: pa.Array) -> pa.Array:
    """Quote the values that contain a comma, a quote or a line break."""
    needs = pc.match_substring_regex(text, r'[,"\r\n]')
    if not pc.any(needs).as_py():
        return text
    escaped = pc.replace_substring(text, '"', '""')
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    return pc.if_else(needs, quoted, text)
