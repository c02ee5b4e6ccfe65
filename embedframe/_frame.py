"""Frames in the Lightly layout: building, inspecting and validating them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pandera.errors

from embedframe._layout import (
    FILENAMES,
    LABELS,
    Layout,
    header_problems,
    resolve_layout,
)
from embedframe.errors import EmbeddingValueError, Problem
from embedframe.schema import FloatDtype, embedding_schema, satisfies_schema

__all__ = [
    "build_frame",
    "check_for_write",
    "embedding_matrix",
    "frame_layout",
    "integer_column",
    "schema_problems",
    "validate",
]

_INT64_MIN = int(np.iinfo(np.int64).min)
_INT64_MAX = int(np.iinfo(np.int64).max)


def frame_layout(df: pd.DataFrame, *, strict: bool = False) -> Layout:
    """Return the layout of a frame or raise if its columns break the format.

    Raises
    ------
    EmbeddingValueError
        If a required column is missing, a name is duplicated or the embedding
        columns have gaps.
    """
    names = [str(name) for name in df.columns]
    problems = header_problems(names, strict=strict)
    if problems:
        details = "; ".join(
            p.format("frame").removeprefix("frame:1: ") for p in problems
        )
        raise EmbeddingValueError(f"The frame is not in the Lightly layout: {details}.")
    return resolve_layout(names, strict=strict)


def embedding_matrix(
    df: pd.DataFrame, dtype: npt.DTypeLike | None = None
) -> npt.NDArray[np.floating[Any]]:
    """Return the (n, d) embedding matrix of a frame.

    The result is a view of the frame's float block when the embedding columns
    share one block in order and no ``dtype`` conversion is requested, as in
    frames built by embedframe; otherwise it is a copy.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame in the Lightly layout.
    dtype : numpy dtype, optional
        Convert to this dtype; by default the frame's dtype is kept.

    Returns
    -------
    numpy.ndarray
        The embeddings, one row per frame row.

    Examples
    --------
    >>> frame = build_frame(np.eye(2, dtype=np.float32), ["a", "b"], [0, 1])
    >>> embedding_matrix(frame)
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    columns = list(frame_layout(df).embeddings)
    matrix = df[columns].to_numpy(dtype=dtype)
    return matrix


def build_frame(
    embeddings: npt.ArrayLike,
    filenames: Sequence[str],
    labels: Sequence[int] | npt.ArrayLike | None = None,
    *,
    dtype: FloatDtype | None = None,
    validate: bool = True,
) -> pd.DataFrame:
    """Build a frame in the Lightly layout from arrays.

    Parameters
    ----------
    embeddings : array-like of shape (n, d)
        The vectors. float32 and float64 NumPy arrays keep their dtype;
        anything else becomes float32.
    filenames : sequence of str
        One file name per row.
    labels : sequence of int, optional
        One integer label per row; all zeros when omitted.
    dtype : {'float32', 'float64'}, optional
        Convert the embeddings to this dtype.
    validate : bool, default True
        Validate the result with :func:`embedframe.embedding_schema`.

    Returns
    -------
    pandas.DataFrame
        ``filenames``, ``embedding_0`` .. ``embedding_<d-1>`` and ``labels``.
        The embeddings form one float block, so
        :func:`embedding_matrix` returns a view.

    Raises
    ------
    EmbeddingValueError
        If the shapes or lengths disagree, a file name is not a string (None
        and NaN included), or a label is not an integer or does not fit in
        int64.
    pandera.errors.SchemaErrors
        If ``validate`` is True and the frame breaks the schema.

    Examples
    --------
    >>> build_frame([[0.5, 1.5]], ["a.png"], [3]).dtypes.astype(str).tolist()
    ['str', 'float32', 'float32', 'int64']
    """
    keeps_dtype = isinstance(embeddings, np.ndarray) and embeddings.dtype in (
        np.float32,
        np.float64,
    )
    matrix = np.asarray(embeddings)
    if matrix.ndim != 2:
        raise EmbeddingValueError(
            f"embeddings must be a 2-D array of shape (n, d) "
            f"(got shape {matrix.shape})."
        )
    if dtype is not None:
        matrix = matrix.astype(dtype, copy=False)
    elif not keeps_dtype:
        matrix = matrix.astype(np.float32)

    n, dim = matrix.shape
    names = _filenames(filenames)
    label_array = np.zeros(n, dtype=np.int64) if labels is None else _labels(labels)
    if len(names) != n or len(label_array) != n:
        raise EmbeddingValueError(
            f"embeddings, filenames and labels must have the same length "
            f"(got {n}, {len(names)} and {len(label_array)})."
        )

    # pandas keeps the array as one (d, n) block without copying it, so
    # embedding_matrix(frame) is a view of ``matrix``.
    layout = Layout.for_dim(dim)
    frame = pd.DataFrame(matrix, columns=list(layout.embeddings), copy=False)
    frame.insert(0, FILENAMES, pd.Series(names, dtype="str"))
    frame[LABELS] = label_array
    if validate:
        schema = embedding_schema(dim, dtype=str(matrix.dtype))  # type: ignore[arg-type]
        schema.validate(frame, lazy=True)
    return frame


def _filenames(filenames: Sequence[str]) -> list[str]:
    """Return the file names as a list, rejecting anything but strings."""
    names = list(filenames)
    # str(None) and str(nan) would turn a missing name into a file name.
    invalid = [row for row, name in enumerate(names) if not isinstance(name, str)]
    if invalid:
        count = "1 row is" if len(invalid) == 1 else f"{len(invalid)} rows are"
        shown = ", ".join(f"row {row} is {names[row]!r}" for row in invalid[:3])
        more = f" and {len(invalid) - 3} more" if len(invalid) > 3 else ""
        raise EmbeddingValueError(
            f"filenames must be strings, but {count} not: {shown}{more}. Give "
            f"every row its file name as a string."
        )
    return names


def _labels(
    labels: Sequence[int] | npt.ArrayLike, name: str = LABELS
) -> npt.NDArray[np.int64]:
    values = np.asarray(labels)
    if values.dtype.kind == "f" and not isinstance(labels, np.ndarray):
        # NumPy turns a list of Python ints into float64 when one of them is
        # above the int64 maximum, so keep the ints to check them exactly.
        exact = np.asarray(labels, dtype=object)
        if exact.ndim == 1 and all(_is_integer(value) for value in exact):
            values = exact
    if values.ndim != 1:
        raise EmbeddingValueError(
            f"{name} must be one-dimensional (got shape {values.shape})."
        )
    if values.dtype == object and all(_is_integer(value) for value in values):
        # NumPy keeps Python ints beyond the uint64 range as objects.
        outside = [not _INT64_MIN <= value <= _INT64_MAX for value in values]
        _reject_outside_int64(values, np.array(outside, dtype=bool), name)
        return values.astype(np.int64)
    if values.dtype.kind in "ib":
        return values.astype(np.int64)
    if values.dtype.kind == "u":
        _reject_outside_int64(values, values > _INT64_MAX, name)
        return values.astype(np.int64)
    if values.dtype.kind == "f" and np.all(np.isfinite(values)):
        if np.array_equal(values, np.floor(values)):
            # The float64 below 2**63 is 2**63 - 1024, which fits in int64,
            # so these bounds are exact.
            _reject_outside_int64(
                values, (values < -(2.0**63)) | (values >= 2.0**63), name
            )
            return values.astype(np.int64)
    raise EmbeddingValueError(
        f"{name} must be integers (got dtype {values.dtype} with values such as "
        f"{values.ravel()[:3].tolist()!r})."
    )


def _is_integer(value: object) -> bool:
    return isinstance(value, int | np.integer)


def _reject_outside_int64(
    values: npt.NDArray[Any], outside: npt.NDArray[np.bool_], name: str
) -> None:
    rows = np.flatnonzero(outside)
    if rows.size:
        row = int(rows[0])
        value = values[row]
        if isinstance(value, np.generic):
            value = value.item()
        raise EmbeddingValueError(
            f"Column {name!r} has {value} at row {row}, which does not fit in "
            f"int64 (from {_INT64_MIN} to {_INT64_MAX})."
        )


def validate(
    df: pd.DataFrame,
    *,
    strict: bool = False,
    allow_duplicates: bool = False,
    allow_nonfinite: bool = False,
) -> pd.DataFrame:
    """Validate a frame against the Lightly schema for its dimension.

    Parameters
    ----------
    df : pandas.DataFrame
        The frame to check. It is not changed.
    strict : bool, default False
        Reject user columns.
    allow_duplicates : bool, default False
        Accept the same file name on several rows.
    allow_nonfinite : bool, default False
        Accept NaN and infinite embedding values.

    Returns
    -------
    pandas.DataFrame
        ``df`` itself, so calls can be chained.

    Raises
    ------
    EmbeddingValueError
        If the columns are not in the Lightly layout or the embedding dtype is
        neither float32 nor float64.
    pandera.errors.SchemaErrors
        With every failing value listed, if the data breaks the schema.

    Examples
    --------
    >>> frame = build_frame([[1.0]], ["a.png"], [0])
    >>> validate(frame) is frame
    True
    """
    layout = frame_layout(df, strict=strict)
    dtypes = {str(dtype) for dtype in df.dtypes[list(layout.embeddings)]}
    dtype = dtypes.pop() if len(dtypes) == 1 else "float32"
    if dtype not in ("float32", "float64"):
        raise EmbeddingValueError(
            f"embedding columns must be float32 or float64 (got {dtype})."
        )
    options = {
        "strict": strict,
        "allow_duplicates": allow_duplicates,
        "allow_nonfinite": allow_nonfinite,
    }
    # Building the pandera schema costs about 0.3 ms per column, so it is
    # built only for frames that the vectorised check does not accept.
    if not satisfies_schema(df, layout.embeddings, dtype=dtype, **options):  # type: ignore[arg-type]
        schema = embedding_schema(layout.dim, dtype=dtype, **options)  # type: ignore[arg-type]
        schema.validate(df, lazy=True)
    return df


def schema_problems(
    exc: pandera.errors.SchemaErrors,
    lines: npt.NDArray[np.int64] | None = None,
) -> list[Problem]:
    """Translate pandera's failure cases into located problems.

    Parameters
    ----------
    exc : pandera.errors.SchemaErrors
        The lazy validation error.
    lines : numpy.ndarray, optional
        Physical file line of each frame row. Without it, problems name the
        row position instead.

    Returns
    -------
    list of Problem
        One problem per failing value; a duplicated file name is reported on
        each repeat, pointing at its first occurrence.
    """
    first_seen: dict[str, str] = {}
    problems = []
    for case in exc.failure_cases.itertuples(index=False):
        column = None if pd.isna(case.column) else str(case.column)
        row = None if pd.isna(case.index) else int(case.index)
        line = None if row is None or lines is None else int(lines[row])
        where = f"line {line}" if lines is not None else f"row {row}"
        check = str(case.check)
        value = case.failure_case
        if check == "field_uniqueness":
            if str(value) not in first_seen:
                first_seen[str(value)] = where
                continue
            message = (
                f"duplicate file name {value!r}, first on {first_seen[str(value)]}"
            )
        elif check == "embeddings_are_finite":
            message = f"expected a finite number, found {value}"
        elif check.startswith("str_length"):
            message = "expected a non-empty file name"
        elif check.startswith("isin("):
            allowed = check.removeprefix("isin(").removesuffix(")")
            if allowed == "[0, 1]":
                allowed = "0 or 1"
            else:
                allowed = f"one of {allowed}"
            message = f"expected {allowed}, found {value!r}"
        elif check.startswith("dtype('") and row is None:
            expected = check.removeprefix("dtype('").removesuffix("')")
            message = (
                f"expected dtype {expected}, found {value}; convert the column "
                f"with .astype({expected!r})"
            )
        elif row is None:
            message = f"expected {check}, found {value}"
        else:
            message = f"failed check {check}, found {value!r}"
        if lines is None and row is not None:
            message = f"row {row}: {message}"
        problems.append(Problem(line, column, message))
    problems.sort(key=lambda problem: problem.line or 0)
    return problems


def integer_column(df: pd.DataFrame, name: str) -> npt.NDArray[np.int64]:
    """Return column ``name`` as int64, or raise if a value would change.

    Raises
    ------
    EmbeddingValueError
        If a value is missing, not integral, or outside the int64 range.
    """
    return _labels(df[name].to_numpy(), name)


def check_for_write(
    df: pd.DataFrame,
    *,
    schema: bool,
    allow_duplicates: bool,
    allow_nonfinite: bool,
) -> None:
    """Check a frame before a writer formats it.

    Integer columns are always checked, so no writer wraps or truncates a
    label. With ``schema``, the whole schema is checked too.

    Raises
    ------
    EmbeddingValueError
        Listing the first ten problems.
    """
    layout = frame_layout(df)
    for name in (LABELS, *layout.extras):
        integer_column(df, name)
    if not schema:
        return
    try:
        validate(df, allow_duplicates=allow_duplicates, allow_nonfinite=allow_nonfinite)
    except pandera.errors.SchemaErrors as exc:
        problems = schema_problems(exc)
        listed = "; ".join(
            problem.format("frame").removeprefix("frame: ") for problem in problems[:10]
        )
        more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise EmbeddingValueError(
            f"The frame breaks the Lightly schema: {listed}{more}. Fix the "
            f"data or pass validate=False to write it anyway."
        ) from exc
