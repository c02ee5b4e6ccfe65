"""Lightly CSV files: a vectorised reader and writer.

The reader parses with pyarrow's multi-threaded CSV engine. It keeps the
happy path free of per-row Python work: line numbers are only computed when
there is a problem to report. Every problem found is reported at once, each
with its physical line (1-based), column, what was expected and what was
found.

The writer formats each column with pyarrow's shortest round-trip float
formatting, quotes only the values that need it and writes through
:func:`embedframe._atomic.atomic_write`.
"""

from __future__ import annotations

import csv
import io
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pandera.errors
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from embedframe._atomic import atomic_write
from embedframe._frame import frame_layout, schema_problems
from embedframe._layout import (
    FILENAMES,
    LABELS,
    Layout,
    header_problems,
    resolve_layout,
)
from embedframe.errors import EmbeddingParseError, EmbeddingValueError, Problem
from embedframe.schema import FloatDtype, embedding_schema

__all__ = ["read_csv", "read_header", "write_csv"]

logger = logging.getLogger(__name__)

_BOM = b"\xef\xbb\xbf"
#: Target size of the text one write step formats at a time, in bytes.
_WRITE_CHUNK_BYTES = 1 << 24


@dataclass
class _Parsed:
    """A parsed table with what is needed to locate its rows in the file."""

    table: pa.Table
    header_lines: int
    # Records the parser skipped: number -> (text, expected and found fields).
    skipped: dict[int, tuple[str, int, int]] = field(default_factory=dict)
    _lines: npt.NDArray[np.int64] | None = None

    def record_lines(self) -> npt.NDArray[np.int64]:
        """Return the physical line of every data record, computed once.

        A record is a row of the file after CSV parsing, so a quoted value
        with a newline makes a record span several lines. Index i holds
        record number i + 2, because record 1 is the header.
        """
        if self._lines is None:
            self._lines = _record_lines(self)
        return self._lines

    def row_lines(self) -> npt.NDArray[np.int64]:
        """Return the physical line of every table row."""
        lines = self.record_lines()
        is_row = np.ones(len(lines), dtype=bool)
        is_row[[number - 2 for number in self.skipped]] = False
        return lines[is_row]


def read_csv(
    path: str | os.PathLike[str],
    *,
    dtype: FloatDtype = "float32",
    validate: bool = True,
    strict: bool = False,
    allow_duplicates: bool = False,
    allow_nonfinite: bool = False,
) -> pd.DataFrame:
    r"""Read a Lightly embedding CSV file into a validated frame.

    Columns are found by name: ``filenames``, ``embedding_0`` ..
    ``embedding_<d-1>`` (in any order in the file), ``labels``, the optional
    ``masked`` and ``selected``, and user columns, which are kept as strings
    so that their text is never altered. The frame has the canonical column
    order of :class:`embedframe.Layout`.

    Accepted quirks: a UTF-8 byte-order mark, ``\r\n`` line endings,
    trailing blank lines, and integral labels written as ``1.0``.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file.
    dtype : {'float32', 'float64'}, default 'float32'
        dtype of the embedding block. Values are rounded once, from text.
    validate : bool, default True
        Check the schema rules (unique file names, finite values); format
        errors are always reported.
    strict : bool, default False
        Reject user columns.
    allow_duplicates : bool, default False
        Accept the same file name on several rows.
    allow_nonfinite : bool, default False
        Accept ``nan`` and ``inf`` embedding values.

    Returns
    -------
    pandas.DataFrame
        One row per data line, with the embeddings in one float block.

    Raises
    ------
    EmbeddingParseError
        Listing every problem found, each with its line and column. It is a
        ``RuntimeError``, as lightly raises for format errors.
    FileNotFoundError
        If ``path`` does not exist.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "e.csv"
    >>> _ = path.write_text("filenames,embedding_0,embedding_1,labels\na.png,0.5,1,2\n")
    >>> read_csv(path)
      filenames  embedding_0  embedding_1  labels
    0     a.png          0.5          1.0       2
    """
    source = os.fspath(path)
    if dtype not in ("float32", "float64"):
        raise EmbeddingValueError(
            f"dtype must be 'float32' or 'float64' (got {dtype!r})."
        )
    names, header_lines = read_header(source)
    problems = header_problems(names, strict=strict)
    if problems:
        raise EmbeddingParseError(source, problems)
    layout = resolve_layout(names, strict=strict)

    parsed = _parse(source, names, layout, dtype, header_lines)
    frame, problems = _to_frame(parsed, layout, dtype)
    if problems:
        raise EmbeddingParseError(source, problems)
    if validate:
        _validate(frame, parsed, source, dtype, allow_duplicates, allow_nonfinite)
    logger.info("Read %s: %d rows, %d dimensions", source, len(frame), layout.dim)
    return frame


def read_header(path: str) -> tuple[list[str], int]:
    """Return the header's column names and the number of lines it spans.

    Raises
    ------
    EmbeddingParseError
        If the file is empty or its first line is not valid UTF-8 CSV.
    """
    with open(path, "rb") as handle:
        start = handle.read(1 << 16)
        if not start.strip(b"\r\n" + _BOM):
            raise EmbeddingParseError(
                path,
                [
                    Problem(
                        1,
                        None,
                        "the file is empty; expected a header line starting "
                        "with 'filenames'",
                    )
                ],
            )
        handle.seek(len(_BOM) if start.startswith(_BOM) else 0)
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        try:
            reader = csv.reader(text, strict=True)
            names = next(reader)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise EmbeddingParseError(
                path, [Problem(1, None, f"the header line cannot be read: {exc}")]
            ) from exc
        return names, reader.line_num


def _parse(
    path: str, names: list[str], layout: Layout, dtype: str, header_lines: int
) -> _Parsed:
    """Parse the body, falling back to a slower diagnosis on any problem."""
    skipped: list[Any] = []

    def skip(row: Any) -> str:
        skipped.append(row)
        return "skip"

    types: dict[str, pa.DataType] = {FILENAMES: pa.string(), LABELS: pa.string()}
    types.update({name: pa.string() for name in (*layout.extras, *layout.user)})
    types.update(
        {name: pa.from_numpy_dtype(np.dtype(dtype)) for name in layout.embeddings}
    )
    try:
        table = _read_table(path, types, skip, use_threads=True)
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return _diagnose(path, names, layout, header_lines)
    if skipped:
        return _diagnose(path, names, layout, header_lines)
    return _Parsed(table, header_lines)


def _read_table(
    path: str,
    types: dict[str, pa.DataType],
    on_invalid_row: Callable[[Any], str],
    *,
    use_threads: bool,
) -> pa.Table:
    parse = pv.ParseOptions(
        newlines_in_values=True,
        ignore_empty_lines=False,
        invalid_row_handler=on_invalid_row,
    )
    convert = pv.ConvertOptions(
        column_types=types,
        null_values=[""],
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    read = pv.ReadOptions(use_threads=use_threads, block_size=1 << 22)
    return pv.read_csv(
        path, read_options=read, parse_options=parse, convert_options=convert
    )


def _diagnose(
    path: str, names: list[str], layout: Layout, header_lines: int
) -> _Parsed:
    """Re-read every column as text, single-threaded, to locate each problem.

    Single-threaded parsing is what gives skipped rows their record numbers.
    The typed conversion then happens in :func:`_to_frame`, which reports
    values that do not parse.
    """
    skipped: list[Any] = []

    def skip(row: Any) -> str:
        skipped.append(row)
        return "skip"

    try:
        table = _read_table(
            path, dict.fromkeys(names, pa.string()), skip, use_threads=False
        )
    except UnicodeDecodeError as exc:
        raise EmbeddingParseError(
            path, [Problem(None, None, f"the file is not valid UTF-8: {exc}")]
        ) from exc
    except pa.ArrowInvalid as exc:
        raise EmbeddingParseError(
            path, [Problem(None, None, f"the CSV parser failed: {exc}")]
        ) from exc
    parsed = _Parsed(table, header_lines)
    for row in skipped:
        parsed.skipped[row.number] = (
            row.text,
            row.expected_columns,
            row.actual_columns,
        )
    return parsed


def _record_lines(parsed: _Parsed) -> npt.NDArray[np.int64]:
    table = parsed.table
    n_records = table.num_rows + len(parsed.skipped)
    newlines = np.zeros(n_records, dtype=np.int64)
    is_row = np.ones(n_records, dtype=bool)
    for number, (text, _, _) in parsed.skipped.items():
        is_row[number - 2] = False
        newlines[number - 2] = text.count("\n")

    # Only text columns can hold a quoted newline.
    row_newlines = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        if pa.types.is_string(column.type):
            counts = pc.count_substring(column, "\n").fill_null(0)
            row_newlines += np.asarray(counts.to_numpy(), dtype=np.int64)
    newlines[is_row] = row_newlines

    before = np.concatenate([[0], np.cumsum(newlines)[:-1]]).astype(np.int64)
    first = parsed.header_lines + 1
    return first + np.arange(n_records, dtype=np.int64) + before


class _Rows:
    """The table rows that remain after blank lines are dropped."""

    def __init__(self, parsed: _Parsed, kept: npt.NDArray[np.int64] | None) -> None:
        self.parsed = parsed
        self.kept = kept
        self.table = parsed.table if kept is None else parsed.table.take(kept)

    def line(self, row: int) -> int:
        """Return the physical line of row ``row`` of :attr:`table`."""
        original = row if self.kept is None else int(self.kept[row])
        return int(self.parsed.row_lines()[original])

    def problems(
        self, rows: npt.NDArray[np.intp], column: str, message: Callable[[int], str]
    ) -> list[Problem]:
        """Return one problem per row, with ``message(row)`` as its text."""
        return [Problem(self.line(int(i)), column, message(int(i))) for i in rows]


def _to_frame(
    parsed: _Parsed, layout: Layout, dtype: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert the parsed table to a frame and collect every format problem."""
    lines = parsed.record_lines() if parsed.skipped else None
    problems = [
        Problem(
            int(lines[number - 2]), None, f"expected {expected} fields, found {found}"
        )
        for number, (_, expected, found) in sorted(parsed.skipped.items())
        if lines is not None
    ]
    rows = _drop_blank_rows(parsed, problems)

    numeric = np.dtype(dtype)
    block = np.empty((layout.dim, rows.table.num_rows), dtype=numeric)
    for position, name in enumerate(layout.embeddings):
        block[position] = _float_column(rows, name, numeric, problems)
    integers = {
        name: _integer_column(rows, name, problems) for name in (*layout.extras, LABELS)
    }
    if problems:
        problems.sort(key=lambda problem: problem.line or 0)
        return pd.DataFrame(), problems

    frame = pd.DataFrame(block.T, columns=list(layout.embeddings), copy=False)
    frame.insert(0, FILENAMES, _text(rows.table.column(FILENAMES)))
    for name, values in integers.items():
        frame[name] = values
    for name in layout.user:
        frame[name] = _text(rows.table.column(name))
    return frame, []


def _text(column: pa.ChunkedArray) -> pd.Series:
    return pd.Series(column.to_numpy(zero_copy_only=False), dtype="str")


def _drop_blank_rows(parsed: _Parsed, problems: list[Problem]) -> _Rows:
    """Drop empty lines: silently at the end of the file, with a problem inside."""
    table = parsed.table
    filenames = table.column(FILENAMES)
    if table.num_rows == 0 or not pc.any(pc.equal(filenames, "")).as_py():
        return _Rows(parsed, None)

    # pyarrow reads an empty line as a row of empty or missing values.
    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        empty = pc.is_null(column)
        if pa.types.is_string(column.type):
            empty = pc.or_(empty, pc.equal(column, "").fill_null(True))
        blank &= empty.to_numpy(zero_copy_only=False)
    if not blank.any():
        return _Rows(parsed, None)

    last_data = np.flatnonzero(~blank)
    end = int(last_data[-1]) + 1 if len(last_data) else 0
    for row in np.flatnonzero(blank[:end]):
        line = int(parsed.row_lines()[row])
        problems.append(Problem(line, None, "blank line inside the data; remove it"))
    kept = np.flatnonzero(~blank[:end]).astype(np.int64)
    return _Rows(parsed, kept)


def _float_column(
    rows: _Rows, name: str, dtype: np.dtype[Any], problems: list[Problem]
) -> npt.NDArray[Any]:
    """Return one embedding column as numbers, reporting what does not parse."""
    column = rows.table.column(name)
    if pa.types.is_string(column.type):
        column = _parse_floats(rows, name, column, pa.from_numpy_dtype(dtype), problems)
    missing = pc.is_null(column).to_numpy(zero_copy_only=False)
    if missing.any():
        problems.extend(
            rows.problems(
                np.flatnonzero(missing),
                name,
                lambda _: "missing value; expected a number",
            )
        )
        column = column.fill_null(0)
    return np.asarray(column.to_numpy(), dtype=dtype)


def _parse_floats(
    rows: _Rows,
    name: str,
    column: pa.ChunkedArray,
    target: pa.DataType,
    problems: list[Problem],
) -> pa.ChunkedArray:
    """Convert text to numbers, one value at a time where the fast cast fails.

    Text is converted straight to ``target``, because going through float64
    first would round float32 values twice.
    """
    try:
        return pc.cast(column, target)
    except pa.ArrowInvalid:
        pass
    values: list[float | None] = []
    for row, text in enumerate(column.to_pylist()):
        number = _float_or_none(text, target)
        if number is None and text not in (None, ""):
            found = text
            problems.append(
                Problem(rows.line(row), name, f"expected a number, found {found!r}")
            )
            number = 0.0
        values.append(number)
    return pa.chunked_array([pa.array(values, type=target)])


def _float_or_none(text: str | None, target: pa.DataType) -> float | None:
    if text is None or text == "":
        return None
    try:
        return float(pc.cast(pa.scalar(text), target).as_py())
    except pa.ArrowInvalid:
        return None


def _integer_column(
    rows: _Rows, name: str, problems: list[Problem]
) -> npt.NDArray[np.int64]:
    """Return labels or a 0/1 column as int64; ``1.0`` is read as ``1``."""
    column = rows.table.column(name)
    try:
        return np.asarray(pc.cast(column, pa.int64()).to_numpy(), dtype=np.int64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass

    texts = column.to_pylist()
    result = np.zeros(len(texts), dtype=np.int64)
    expected = "an integer" if name == LABELS else "0 or 1"
    for row, text in enumerate(texts):
        number = _float_or_none(text, pa.float64())
        if number is not None and np.isfinite(number) and number == int(number):
            result[row] = int(number)
            continue
        found = "an empty value" if text in (None, "") else repr(text)
        problems.append(
            Problem(rows.line(row), name, f"expected {expected}, found {found}")
        )
    return result


def _validate(
    frame: pd.DataFrame,
    parsed: _Parsed,
    path: str,
    dtype: FloatDtype,
    allow_duplicates: bool,
    allow_nonfinite: bool,
) -> None:
    """Apply the schema and report its failures with file lines."""
    layout = frame_layout(frame)
    schema = embedding_schema(
        layout.dim,
        dtype=dtype,
        allow_duplicates=allow_duplicates,
        allow_nonfinite=allow_nonfinite,
    )
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        raise EmbeddingParseError(
            path, schema_problems(exc, parsed.row_lines())
        ) from exc


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    r"""Write a frame as a Lightly embedding CSV file, atomically.

    Columns are written in the canonical order of :class:`embedframe.Layout`.
    Each float is written as the shortest text that reads back to the same
    value in the frame's dtype, labels as integers, and only values that
    contain a comma, a quote or a line break are quoted. Lines end with
    ``\n``.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame in the Lightly layout. It is not validated here: a frame with
        NaN is written with ``nan`` and reads back only with
        ``allow_nonfinite=True``.
    path : str or os.PathLike
        The file to create or replace. It keeps its old content if writing
        fails.

    Raises
    ------
    EmbeddingValueError
        If the frame's columns are not in the Lightly layout, or labels or
        file names are missing.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from embedframe import build_frame
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "e.csv"
    >>> write_csv(build_frame([[0.1, 2.0]], ["a,b.png"], [3]), path)
    >>> print(path.read_text(), end="")
    filenames,embedding_0,embedding_1,labels
    "a,b.png",0.1,2,3
    """
    layout = frame_layout(df)
    columns = layout.columns
    for name in (FILENAMES, LABELS, *layout.extras):
        if df[name].isna().any():
            raise EmbeddingValueError(
                f"Column {name!r} has missing values; a Lightly file needs one "
                f"value per row."
            )
    header = ",".join(_quote_text(name) for name in columns) + "\n"
    width = max(1, len(columns))
    rows_per_chunk = max(1, _WRITE_CHUNK_BYTES // (12 * width))
    with atomic_write(path) as handle:
        handle.write(header.encode("utf-8"))
        for start in range(0, len(df), rows_per_chunk):
            chunk = df.iloc[start : start + rows_per_chunk]
            for piece in _format_rows(chunk, columns):
                handle.write(piece)
    logger.info(
        "Wrote %s: %d rows, %d dimensions", os.fspath(path), len(df), layout.dim
    )


def _format_rows(chunk: pd.DataFrame, columns: list[str]) -> list[memoryview]:
    """Format rows as CSV lines with pyarrow's vectorised string kernels."""
    texts = [_column_text(chunk[name]) for name in columns]
    texts.append(pa.array([""] * len(chunk), type=pa.string()))
    # Joining with an empty last column ends each line with the separator,
    # so one more join with "\n" closes the lines.
    lines = pc.binary_join_element_wise(*texts[:-1], ",")
    lines = pc.binary_join_element_wise(lines, texts[-1], "\n")
    return [_string_bytes(array) for array in _chunks(lines)]


def _chunks(array: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return array.chunks if isinstance(array, pa.ChunkedArray) else [array]


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
    text = pc.cast(
        pa.array(series.astype("str").to_numpy(), type=pa.string()), pa.string()
    )
    return _quote_array(pc.fill_null(text, ""))


def _quote_array(text: pa.Array) -> pa.Array:
    """Quote the values that contain a comma, a quote or a line break."""
    needs = pc.match_substring_regex(text, r'[,"\r\n]')
    if not pc.any(needs).as_py():
        return text
    escaped = pc.replace_substring(text, '"', '""')
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    return pc.if_else(needs, quoted, text)


def _quote_text(value: str) -> str:
    if any(char in value for char in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value
