"""Parsing of Lightly CSV files, with problems located by physical line.

Reading has two paths. The fast path streams typed record batches from
pyarrow's parser straight into one preallocated embedding block, so peak
memory stays close to the size of the final frame. Some problems cannot be
located there: a value that does not parse, a row with the wrong number of
fields, or a missing value outside a trailing blank line. A file with any of
them goes to the slow path, which re-reads every column as text on one
thread and reports each problem with its line and column.
"""

from __future__ import annotations

import csv
import decimal
import io
import itertools
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from embedframe._layout import FILENAMES, LABELS, Layout
from embedframe.errors import EmbeddingParseError, Problem
from embedframe.formats._csv_parts import FileRange, Part, plan_parts

__all__ = ["Parsed", "parse", "read_header"]

_BOM = b"\xef\xbb\xbf"
#: Bytes of text pyarrow parses as one block; each block becomes one batch.
_BLOCK_BYTES = 1 << 20
#: Parts of a file without quotes that are parsed on parallel threads.
_PARTS = max(1, min(os.cpu_count() or 1, 4))
#: Leading bytes of binary files that people pass for CSV by mistake.
_BINARY_FORMATS = {
    b"\x1f\x8b": "the file is gzip-compressed; decompress it first",
    b"\x28\xb5\x2f\xfd": "the file is zstd-compressed; decompress it first",
    b"BZh": "the file is bzip2-compressed; decompress it first",
    b"PK\x03\x04": "the file is a zip archive; extract the CSV file first",
    b"PAR1": "the file is Parquet, not CSV; read it with read_parquet",
}
_LINE_END_TEXT = re.compile(r"\r\n|\n|\r")


@dataclass
class Parsed:
    """A parsed table with what is needed to locate its rows in the file."""

    table: pa.Table
    header_lines: int
    # Records the parser skipped: number -> (text, expected and found fields).
    skipped: dict[int, tuple[str, int, int]] = field(default_factory=dict)
    _lines: npt.NDArray[np.int64] | None = None

    def record_lines(self) -> npt.NDArray[np.int64]:
        """Return the physical line of every data record, computed once.

        A record is a row of the file after CSV parsing, so a quoted value
        with a newline makes a record span several lines. Index i is
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
        for magic, kind in _BINARY_FORMATS.items():
            if start.startswith(magic):
                raise EmbeddingParseError(path, [Problem(1, None, kind)])
        handle.seek(len(_BOM) if start.startswith(_BOM) else 0)
        # The wrapper reads ahead and decodes data bytes too. Invalid UTF-8
        # is kept as surrogates, so only the header rejects it here, and the
        # parser reports it in the data with a line number.
        text = io.TextIOWrapper(
            handle, encoding="utf-8", errors="surrogateescape", newline=""
        )
        try:
            reader = csv.reader(text, strict=True)
            names = next(reader)
        except csv.Error as exc:
            raise EmbeddingParseError(
                path, [Problem(1, None, f"the header line cannot be read: {exc}")]
            ) from exc
        for name in names:
            try:
                name.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise EmbeddingParseError(
                    path, [Problem(1, None, f"the header is not valid UTF-8: {name!r}")]
                ) from exc
        return names, reader.line_num


def parse(
    path: str, names: list[str], layout: Layout, dtype: str, header_lines: int
) -> tuple[pd.DataFrame, Parsed]:
    """Parse the body of a file whose header is valid.

    Returns
    -------
    frame : pandas.DataFrame
        The rows in the canonical column order.
    parsed : Parsed
        The text columns, to locate rows for later schema failures.

    Raises
    ------
    EmbeddingParseError
        Listing every format problem.
    """
    parts = plan_parts(path, header_lines, _PARTS)
    if not parts:
        # The header is the whole file.
        empty = pa.table({name: pa.array([], pa.string()) for name in names})
        parsed = Parsed(empty, header_lines)
        frame, _ = _to_frame(parsed, layout, dtype)
        return frame, parsed

    fast = _read_fast(path, names, layout, dtype, parts)
    if fast is not None:
        block, text = fast
        parsed = Parsed(text, header_lines)
        problems: list[Problem] = []
        rows = _Rows(parsed, None)
        integers = {
            name: _integer_column(rows, name, problems)
            for name in (*layout.extras, LABELS)
        }
        if problems:
            raise EmbeddingParseError(path, problems)
        return _assemble(block, text, layout, integers), parsed

    parsed = _diagnose(path, names, header_lines)
    frame, problems = _to_frame(parsed, layout, dtype)
    if problems:
        raise EmbeddingParseError(path, problems)
    return frame, parsed


def _options(
    types: dict[str, pa.DataType], on_invalid_row: Callable[[Any], str]
) -> tuple[pv.ParseOptions, pv.ConvertOptions]:
    parse_options = pv.ParseOptions(
        newlines_in_values=True,
        ignore_empty_lines=False,
        invalid_row_handler=on_invalid_row,
    )
    # Only an empty field is missing: "NaN" must stay a number for the
    # finiteness check, and text columns keep empty strings.
    convert_options = pv.ConvertOptions(
        column_types=types,
        null_values=[""],
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    return parse_options, convert_options


@dataclass
class _PartResult:
    """Output of one part's reader: text batches and rows with gaps."""

    text: list[pa.RecordBatch]
    missing: list[npt.NDArray[np.intp]]
    rows: int
    clean: bool
    # A row longer than the parser's block, so a larger block is needed.
    block_too_small: bool = False


def _read_part(
    path: str,
    part: Part,
    offset: int,
    block: npt.NDArray[Any],
    names: list[str],
    layout: Layout,
    block_size: int,
) -> _PartResult:
    """Stream one part into ``block`` from column ``offset`` on."""
    skipped: list[Any] = []

    def skip(row: Any) -> str:
        skipped.append(row)
        return "skip"

    text_names = [FILENAMES, *layout.extras, LABELS, *layout.user]
    embedding_names = list(layout.embeddings)
    types = dict.fromkeys(text_names, pa.string())
    types.update(dict.fromkeys(embedding_names, pa.from_numpy_dtype(block.dtype)))
    parse_options, convert_options = _options(types, skip)
    read_options = pv.ReadOptions(
        use_threads=True, block_size=block_size, column_names=names
    )
    result = _PartResult([], [], 0, clean=False)
    body = pa.PythonFile(FileRange(path, part.start, part.stop - part.start), mode="r")
    try:
        reader = pv.open_csv(
            body,
            read_options=read_options,
            parse_options=parse_options,
            convert_options=convert_options,
        )
        for batch in reader:
            first = offset + result.rows
            last = first + batch.num_rows
            if last > offset + part.rows:
                return result
            vectors = batch.select(embedding_names)
            for column in vectors.columns:
                if column.null_count:
                    is_null = column.is_null().to_numpy(zero_copy_only=False)
                    result.missing.append(np.flatnonzero(is_null) + first)
            # One column-major copy per batch, transposed into the block.
            tensor = vectors.to_tensor(null_to_nan=True, row_major=False)
            block[:, first:last] = tensor.to_numpy().T
            result.text.append(batch.select(text_names))
            result.rows += batch.num_rows
    except pa.ArrowInvalid as exc:
        result.block_too_small = _is_block_error(exc)
        return result
    except UnicodeDecodeError:
        return result
    finally:
        body.close()
    result.clean = not skipped
    return result


def _read_fast(
    path: str, names: list[str], layout: Layout, dtype: str, parts: list[Part]
) -> tuple[npt.NDArray[Any], pa.Table] | None:
    """Stream typed batches into one block; None if the file needs diagnosis.

    Parts are parsed on parallel threads, each into its own columns of the
    block, because one pyarrow stream decodes its blocks in order. A row
    longer than pyarrow's block is retried with larger blocks.
    """
    for block_size in _block_sizes(path):
        try:
            return _read_fast_with(path, names, layout, dtype, parts, block_size)
        except _BlockTooSmall:
            continue
    return None


class _BlockTooSmall(Exception):
    """A row is longer than the parser's block size."""


def _block_sizes(path: str) -> list[int]:
    """Return the block sizes to try: 1 MB, then 16 times larger each time."""
    limit = os.path.getsize(path) + 1
    sizes = [_BLOCK_BYTES]
    while sizes[-1] < limit:
        sizes.append(min(sizes[-1] * 16, limit))
    return sizes


def _is_block_error(exc: pa.ArrowInvalid) -> bool:
    # pyarrow's messages when one row does not fit in one block.
    message = str(exc)
    return "straddl" in message or "Empty CSV file or block" in message


def _read_fast_with(
    path: str,
    names: list[str],
    layout: Layout,
    dtype: str,
    parts: list[Part],
    block_size: int,
) -> tuple[npt.NDArray[Any], pa.Table] | None:
    # Row counts are exact for several parts and an upper bound for one, so
    # the block is allocated once and never grows.
    offsets = list(itertools.accumulate((part.rows for part in parts), initial=0))
    block = np.empty((layout.dim, offsets[-1]), dtype=np.dtype(dtype))
    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        futures = [
            pool.submit(
                _read_part, path, part, offset, block, names, layout, block_size
            )
            for part, offset in zip(parts, offsets, strict=False)
        ]
        results = [future.result() for future in futures]
    if any(result.block_too_small for result in results):
        raise _BlockTooSmall
    if not all(result.clean for result in results):
        return None
    if len(parts) > 1 and any(
        result.rows != part.rows for result, part in zip(results, parts, strict=True)
    ):
        # A line ending that the newline count missed, such as a lone "\r".
        return None

    rows = sum(result.rows for result in results)
    text_names = [FILENAMES, *layout.extras, LABELS, *layout.user]
    schema = pa.schema([(name, pa.string()) for name in text_names])
    batches = [batch for result in results for batch in result.text]
    text = pa.Table.from_batches(batches, schema=schema)
    missing = [found for result in results for found in result.missing]
    if missing:
        rows = _trailing_blank_start(np.unique(np.concatenate(missing)), text)
        if rows < 0:
            return None
        text = text.slice(0, rows)
    return block[:, :rows], text


def _trailing_blank_start(missing_rows: npt.NDArray[np.intp], text: pa.Table) -> int:
    """Return where trailing blank rows start, or -1 if a value is missing.

    ``missing_rows`` are the sorted rows with a missing embedding value. A
    blank line parses as a row whose fields are all empty or missing. Blank
    rows at the end of the file are dropped; any other missing value needs
    the slow path to be reported with its line.
    """
    start = text.num_rows - len(missing_rows)
    if missing_rows[0] != start:
        return -1
    if not _is_blank(text.take(missing_rows)).all():
        return -1
    return int(start)


def _is_blank(table: pa.Table) -> npt.NDArray[np.bool_]:
    """Return which rows are empty lines: every value is missing or empty."""
    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        empty = pc.is_null(column)
        if pa.types.is_string(column.type):
            empty = pc.or_(empty, pc.equal(column, "").fill_null(True))
        blank &= empty.to_numpy(zero_copy_only=False)
    return blank


def _assemble(
    block: npt.NDArray[Any],
    text: pa.Table,
    layout: Layout,
    integers: dict[str, npt.NDArray[np.int64]],
) -> pd.DataFrame:
    """Build the frame around the (d, n) block without copying it."""
    frame = pd.DataFrame(block.T, columns=list(layout.embeddings), copy=False)
    frame.insert(0, FILENAMES, _text(text.column(FILENAMES)))
    for name, values in integers.items():
        frame[name] = values
    for name in layout.user:
        frame[name] = _text(text.column(name))
    return frame


def _diagnose(path: str, names: list[str], header_lines: int) -> Parsed:
    """Re-read every column as text, single-threaded, to locate each problem.

    Single-threaded parsing is what gives skipped rows their record numbers.
    The typed conversion then happens in :func:`_to_frame`, which reports
    values that do not parse.
    """
    skipped: list[Any] = []
    try:
        table = _read_all(path, names, pa.string(), skipped)
    except pa.ArrowInvalid:
        # Usually text that is not UTF-8: read bytes to locate each value.
        table = _read_all(path, names, pa.binary(), skipped)
        parsed = Parsed(table, header_lines)
        raise EmbeddingParseError(path, _invalid_utf8(parsed)) from None
    parsed = Parsed(table, header_lines)
    for row in skipped:
        parsed.skipped[row.number] = (
            row.text,
            row.expected_columns,
            row.actual_columns,
        )
    return parsed


def _read_all(
    path: str, names: list[str], kind: pa.DataType, skipped: list[Any]
) -> pa.Table:
    """Read every column as ``kind``, recording skipped rows in ``skipped``."""

    def skip(row: Any) -> str:
        skipped.append(row)
        return "skip"

    parse_options, convert_options = _options(dict.fromkeys(names, kind), skip)
    sizes = _block_sizes(path)
    for block_size in sizes:
        skipped.clear()
        try:
            return pv.read_csv(
                path,
                read_options=pv.ReadOptions(use_threads=False, block_size=block_size),
                parse_options=parse_options,
                convert_options=convert_options,
            )
        except pa.ArrowInvalid as exc:
            if _is_block_error(exc) and block_size != sizes[-1]:
                continue
            if kind == pa.string():
                raise
            raise EmbeddingParseError(
                path, [Problem(None, None, f"the CSV parser failed: {exc}")]
            ) from exc
    raise AssertionError("unreachable: the last block size returns or raises")


def _invalid_utf8(parsed: Parsed) -> list[Problem]:
    """Return one problem per value that is not valid UTF-8."""
    lines = parsed.row_lines()
    problems = []
    for name, column in zip(
        parsed.table.column_names, parsed.table.columns, strict=True
    ):
        for row, value in enumerate(column.to_pylist()):
            try:
                value.decode("utf-8")
            except UnicodeDecodeError:
                problems.append(
                    Problem(
                        int(lines[row]), name, f"expected UTF-8 text, found {value!r}"
                    )
                )
    problems.sort(key=lambda problem: problem.line or 0)
    return problems


def _record_lines(parsed: Parsed) -> npt.NDArray[np.int64]:
    table = parsed.table
    n_records = table.num_rows + len(parsed.skipped)
    newlines = np.zeros(n_records, dtype=np.int64)
    is_row = np.ones(n_records, dtype=bool)
    for number, (text, _, _) in parsed.skipped.items():
        is_row[number - 2] = False
        newlines[number - 2] = len(_LINE_END_TEXT.findall(text))

    # Only text columns can contain a quoted line break: \r\n, \n or \r.
    row_newlines = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_binary(column.type):
            pattern = _LINE_END_TEXT.pattern
            counts = pc.count_substring_regex(column, pattern).fill_null(0)
            row_newlines += np.asarray(counts.to_numpy(), dtype=np.int64)
    newlines[is_row] = row_newlines

    before = np.concatenate([[0], np.cumsum(newlines)[:-1]]).astype(np.int64)
    first = parsed.header_lines + 1
    return first + np.arange(n_records, dtype=np.int64) + before


class _Rows:
    """The table rows that remain after blank lines are dropped."""

    def __init__(self, parsed: Parsed, kept: npt.NDArray[np.int64] | None) -> None:
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
    parsed: Parsed, layout: Layout, dtype: str
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

    return _assemble(block, rows.table, layout, integers), []


def _text(column: pa.ChunkedArray) -> pd.Series:
    return pd.Series(column.to_numpy(zero_copy_only=False), dtype="str")


def _drop_blank_rows(parsed: Parsed, problems: list[Problem]) -> _Rows:
    """Drop empty lines: silently at the end of the file, with a problem inside."""
    table = parsed.table
    filenames = table.column(FILENAMES)
    if table.num_rows == 0 or not pc.any(pc.equal(filenames, "")).as_py():
        return _Rows(parsed, None)

    # pyarrow reads an empty line as a row of empty or missing values.
    blank = _is_blank(table)
    if not blank.any():
        return _Rows(parsed, None)

    # Blank rows are trailing when no data row and no skipped record (a row
    # with the wrong number of fields) comes after them.
    lines = parsed.row_lines()
    last_data = np.flatnonzero(~blank)
    end = int(last_data[-1]) + 1 if len(last_data) else 0
    if parsed.skipped:
        last_skipped = int(parsed.record_lines()[max(parsed.skipped) - 2])
        end = max(end, int(np.searchsorted(lines, last_skipped)))
    for row in np.flatnonzero(blank[:end]):
        line = int(lines[row])
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
    first would round float32 values twice. Surrounding whitespace is
    ignored, as pyarrow's typed parser on the fast path ignores it.
    """
    try:
        return pc.cast(pc.utf8_trim_whitespace(column), target)
    except pa.ArrowInvalid:
        pass
    values: list[float | None] = []
    for row, text in enumerate(column.to_pylist()):
        number = _float_or_none(text, target)
        if number is None and (text or "").strip():
            found = text
            problems.append(
                Problem(rows.line(row), name, f"expected a number, found {found!r}")
            )
            number = 0.0
        values.append(number)
    return pa.chunked_array([pa.array(values, type=target)])


def _float_or_none(text: str | None, target: pa.DataType) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return float(pc.cast(pa.scalar(text), target).as_py())
    except pa.ArrowInvalid:
        return None


def _integer_column(
    rows: _Rows, name: str, problems: list[Problem]
) -> npt.NDArray[np.int64]:
    """Return labels or a 0/1 column as int64; ``1.0`` is read as ``1``.

    Integer text is converted with pyarrow. Other text must denote an
    integer exactly, as a decimal: ``2e1`` is 20, ``1.5`` is rejected.
    """
    column = pc.utf8_trim_whitespace(rows.table.column(name))
    result = np.zeros(len(column), dtype=np.int64)
    expected = "an integer" if name == LABELS else "0 or 1"
    is_integer = pc.match_substring_regex(column, r"^[+-]?[0-9]+$").to_numpy(
        zero_copy_only=False
    )

    integer_rows = np.flatnonzero(is_integer)
    integers = column.take(integer_rows)
    try:
        result[integer_rows] = pc.cast(integers, pa.int64()).to_numpy()
    except pa.ArrowInvalid:
        for row, text in zip(integer_rows, integers.to_pylist(), strict=True):
            value = int(text)
            if -(2**63) <= value < 2**63:
                result[row] = value
            else:
                message = f"expected {expected} within int64, found {text!r}"
                problems.append(Problem(rows.line(int(row)), name, message))

    # Other text, such as "1.0" or "2e1", is read as an exact decimal, so a
    # value is accepted only when the text itself denotes an integer.
    other_rows = np.flatnonzero(~is_integer)
    texts = rows.table.column(name).take(other_rows).to_pylist()
    for row, text in zip(other_rows, texts, strict=True):
        exact = _exact_integer(text)
        if exact is not None and -(2**63) <= exact < 2**63:
            result[row] = exact
            continue
        found = "an empty value" if not (text or "").strip() else repr(text)
        problems.append(
            Problem(rows.line(int(row)), name, f"expected {expected}, found {found}")
        )
    return result


def _exact_integer(text: str | None) -> int | None:
    """Return the integer a decimal text denotes exactly, or None."""
    try:
        number = decimal.Decimal((text or "").strip())
    except decimal.InvalidOperation:
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    # Exponents beyond about 1e30 cannot be int64; skip building huge ints.
    if number.adjusted() > 30:
        return None
    return int(number)
