"""Lightly CSV files: a vectorised reader and writer.

The reader streams the file through pyarrow's CSV parser with no per-row
Python work on valid files; line numbers are computed only when there is a
problem to report. Every problem found is reported at once, each with its
physical line (1-based), column, what was expected and what was found.

The writer formats floats with pyarrow's shortest round-trip conversion,
quotes only the values that need it and writes through
:func:`embedframe._atomic.atomic_write`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import pandera.errors
import pyarrow as pa
import pyarrow.compute as pc

from embedframe._atomic import atomic_write
from embedframe._frame import check_for_write, frame_layout, schema_problems
from embedframe._frame import validate as validate_frame
from embedframe._layout import FILENAMES, LABELS, header_problems, resolve_layout
from embedframe.errors import (
    EmbeddingFormatError,
    EmbeddingParseError,
    EmbeddingValueError,
    Problem,
)
from embedframe.formats._csv_reader import Parsed, parse, read_header
from embedframe.formats._csv_writer import format_lines, quote_text
from embedframe.schema import FloatDtype

__all__ = ["read_csv", "read_header", "write_csv"]

logger = logging.getLogger(__name__)


def read_csv(
    path: str | os.PathLike[str],
    *,
    dtype: FloatDtype | Literal["auto"] = "float32",
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
    dtype : {'float32', 'float64', 'auto'}, default 'float32'
        dtype of the embedding block. Values are rounded once, from text.
        'auto' reads float64 and narrows to float32 only when each value's
        shortest float32 text reads back as the same float64, so writing the
        frame again gives the same numbers; see :func:`narrow_if_exact`. It
        needs twice the memory while reading.
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
    if os.path.isdir(source):
        raise EmbeddingFormatError(f"{source}: is a directory; expected a CSV file.")
    if dtype not in ("float32", "float64", "auto"):
        raise EmbeddingValueError(
            f"dtype must be 'float32', 'float64' or 'auto' (got {dtype!r})."
        )
    names, header_lines = read_header(source)
    problems = header_problems(names, strict=strict)
    if problems:
        raise EmbeddingParseError(source, problems)
    layout = resolve_layout(names, strict=strict)

    parse_dtype = "float64" if dtype == "auto" else dtype
    frame, parsed = parse(source, names, layout, parse_dtype, header_lines)
    if dtype == "auto":
        frame = narrow_if_exact(frame, layout.embeddings)
    if validate:
        _validate(frame, parsed, source, allow_duplicates, allow_nonfinite)
    logger.info("Read %s: %d rows, %d dimensions", source, len(frame), layout.dim)
    return frame


def narrow_if_exact(frame: pd.DataFrame, embeddings: Sequence[str]) -> pd.DataFrame:
    """Return ``frame`` with float32 embeddings if the text would not change.

    A float64 value can be narrowed when the shortest text of its float32
    reads back as the same float64. Then writing the narrowed frame gives a
    file that every reader, float32 or float64, reads as the original: the
    text ``0.1`` narrows, ``0.1000000000000001`` does not.

    Examples
    --------
    >>> from embedframe import build_frame
    >>> short = build_frame(np.array([[0.1, 2.0]]), ["a"], [0])
    >>> narrow_if_exact(short, ["embedding_0", "embedding_1"]).emb.matrix.dtype
    dtype('float32')
    >>> precise = build_frame(np.array([[0.1000000000000001, 2.0]]), ["a"], [0])
    >>> narrow_if_exact(precise, ["embedding_0", "embedding_1"]).emb.matrix.dtype
    dtype('float64')
    """
    matrix = frame[list(embeddings)].to_numpy()
    if matrix.dtype != np.float64:
        return frame
    with np.errstate(over="ignore"):
        narrow = matrix.astype(np.float32)
    # Row chunks bound the memory of the text; the first failing chunk ends
    # the check, which is usually the first chunk for float64 data.
    step = max(1, (1 << 20) // max(1, matrix.shape[1]))
    for start in range(0, len(matrix), step):
        if not _same_after_text(
            narrow[start : start + step], matrix[start : start + step]
        ):
            return frame

    result = pd.DataFrame(
        narrow, columns=list(embeddings), index=frame.index, copy=False
    )
    result.insert(0, FILENAMES, frame[FILENAMES])
    for name in frame.columns:
        if name not in result.columns:
            result[name] = frame[name]
    return result


def _same_after_text(narrow: np.ndarray, wide: np.ndarray) -> bool:
    """Return True if each float32's shortest text reads back as ``wide``."""
    text = pc.cast(pa.array(np.ascontiguousarray(narrow).reshape(-1)), pa.string())
    back = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
    # NaN is unequal to itself, so compare bits; NaN payloads are not kept
    # by text anyway.
    wide_flat = np.ascontiguousarray(wide).reshape(-1)
    both_nan = np.isnan(back) & np.isnan(wide_flat)
    return bool(np.all((back.view(np.uint64) == wide_flat.view(np.uint64)) | both_nan))


def _validate(
    frame: pd.DataFrame,
    parsed: Parsed,
    path: str,
    allow_duplicates: bool,
    allow_nonfinite: bool,
) -> None:
    """Apply the schema and report its failures with file lines."""
    try:
        validate_frame(
            frame, allow_duplicates=allow_duplicates, allow_nonfinite=allow_nonfinite
        )
    except pandera.errors.SchemaErrors as exc:
        problems = schema_problems(exc, parsed.row_lines())
        if frame[frame.columns[1]].dtype == np.float32:
            problems = [_float32_hint(problem) for problem in problems]
        raise EmbeddingParseError(path, problems) from exc


def _float32_hint(problem: Problem) -> Problem:
    """Add why an infinity may come from a finite number in the text."""
    if not problem.message.endswith(("found inf", "found -inf")):
        return problem
    hint = (
        "; text beyond the float32 range of about 3.4e38 also reads as inf, "
        "so try dtype='float64'"
    )
    return Problem(problem.line, problem.column, problem.message + hint)


def write_csv(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    validate: bool = True,
    allow_duplicates: bool = False,
    allow_nonfinite: bool = False,
) -> None:
    r"""Write a frame as a Lightly embedding CSV file, atomically.

    Columns are written in the canonical order of :class:`embedframe.Layout`.
    Each float is written as the shortest text that reads back to the same
    value in the frame's dtype, labels as integers, and only values that
    contain a comma, a quote or a line break are quoted. Lines end with
    ``\n``.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame in the Lightly layout.
    path : str or os.PathLike
        The file to create or replace. It keeps its old content if writing
        fails.
    validate : bool, default True
        Check the frame against the schema first, so that the file reads
        back with the same options. With False, only missing file names and
        labels that are not integers are rejected; NaN is written as
        ``nan``.
    allow_duplicates, allow_nonfinite : bool, default False
        Accept duplicate file names or NaN and infinite values when
        validating.

    Raises
    ------
    EmbeddingValueError
        If the frame's columns are not in the Lightly layout, file names or
        labels are missing, or labels are not integers. With ``validate``,
        also if the frame breaks the schema. The message lists the problems.

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
    check_for_write(
        df,
        schema=validate,
        allow_duplicates=allow_duplicates,
        allow_nonfinite=allow_nonfinite,
    )
    header = ",".join(quote_text(name) for name in columns) + "\n"
    with atomic_write(path) as handle:
        handle.write(header.encode("utf-8"))
        for piece in format_lines(df, layout):
            handle.write(piece)
    logger.info(
        "Wrote %s: %d rows, %d dimensions", os.fspath(path), len(df), layout.dim
    )
