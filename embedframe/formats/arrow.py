"""Arrow tables and Parquet files in two layouts.

``wide``
    One column per dimension, named as in the CSV file.
``list``
    One ``FixedSizeList<float32|float64>[d]`` column named ``embedding``.
    Polars reads it from Parquet as ``Array(Float32|Float64, d)``. Parquet
    has no fixed-size list type, so DuckDB (checked with 2.0) reads it as a
    ``FLOAT[]`` or ``DOUBLE[]`` list, which ``CAST(embedding AS FLOAT[d])``
    turns into an ``ARRAY``. Reading also accepts a variable-length ``list``
    or ``large_list`` column, as DuckDB writes it, when every list has the
    same length.

Both layouts carry one JSON entry under the schema metadata key
``b"embedframe"``::

    {
      "version": 1,                       # format version of this entry
      "creator": {"library": "embedframe", "version": "0.1.0"},
      "layout": "wide" | "list",
      "dim": 128,
      "dtype": "float32" | "float64",
      "columns": ["filenames", "embedding_0", ..., "labels"]   # frame order
    }

Tables without the entry are accepted when their columns make the layout
clear. An entry that is present but malformed raises :class:`MetadataError`.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Sequence
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
import pandera.errors
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from embedframe._atomic import atomic_write
from embedframe._frame import (
    build_frame,
    check_for_write,
    frame_layout,
    integer_column,
    schema_problems,
)
from embedframe._frame import validate as validate_frame
from embedframe._layout import (
    EMBEDDING_PATTERN,
    FILENAMES,
    LABELS,
    Layout,
    header_problems,
    resolve_layout,
)
from embedframe._text import plural
from embedframe._version import __version__
from embedframe.errors import (
    EmbeddingFormatError,
    EmbeddingParseError,
    EmbeddingValueError,
    MetadataError,
)

__all__ = [
    "LIST_COLUMN",
    "METADATA_KEY",
    "from_arrow",
    "list_to_numpy",
    "read_parquet",
    "to_arrow",
    "write_parquet",
]

#: Schema metadata key of embedframe's JSON entry.
METADATA_KEY = b"embedframe"
#: Version of the metadata entry this release writes and reads.
METADATA_VERSION = 1
#: Name of the vector column in the list layout.
LIST_COLUMN = "embedding"
#: Compression names that pyarrow's Parquet writer accepts. LZO is left out
#: because pyarrow (checked with 26.0) cannot write it.
PARQUET_CODECS = ("brotli", "gzip", "lz4", "lz4_raw", "none", "snappy", "zstd")

ArrowLayout = Literal["wide", "list"]


def to_arrow(df: pd.DataFrame, *, layout: ArrowLayout = "wide") -> pa.Table:
    """Convert a frame to an Arrow table with embedframe metadata.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame in the Lightly layout.
    layout : {'wide', 'list'}, default 'wide'
        One column per dimension, or one ``FixedSizeList`` column named
        ``embedding``.

    Returns
    -------
    pyarrow.Table
        Columns in the frame's canonical order, with the list column in place
        of the embedding columns for ``layout="list"``.

    Raises
    ------
    EmbeddingValueError
        If ``layout`` is unknown, the frame is not in the Lightly layout, or
        ``layout="list"`` and the frame has a user column named ``embedding``.

    Examples
    --------
    >>> from embedframe import build_frame
    >>> frame = build_frame([[1.0, 2.0]], ["a.png"], [0])
    >>> to_arrow(frame, layout="list").schema.field("embedding").type
    FixedSizeListType(fixed_size_list<item: float>[2])
    """
    if layout not in ("wide", "list"):
        raise EmbeddingValueError(f"layout must be 'wide' or 'list' (got {layout!r}).")
    columns = frame_layout(df)
    if layout == "list" and LIST_COLUMN in columns.user:
        raise EmbeddingValueError(
            f"layout='list' stores the vectors in a column named {LIST_COLUMN!r}, "
            f"but the frame already has a user column with that name. Rename it "
            f"or use layout='wide'."
        )
    matrix = df[list(columns.embeddings)].to_numpy()
    dtype = str(matrix.dtype)
    if dtype not in ("float32", "float64"):
        raise EmbeddingValueError(
            f"embedding columns must be float32 or float64 (got {dtype})."
        )

    arrays: dict[str, pa.Array] = {
        FILENAMES: pa.array(df[FILENAMES].to_numpy(), pa.string())
    }
    if layout == "wide":
        for position, name in enumerate(columns.embeddings):
            arrays[name] = pa.array(matrix[:, position])
    else:
        flat = pa.array(np.ascontiguousarray(matrix).reshape(-1))
        arrays[LIST_COLUMN] = pa.FixedSizeListArray.from_arrays(flat, columns.dim)
    for name in (*columns.extras, LABELS):
        arrays[name] = pa.array(integer_column(df, name))
    for name in columns.user:
        arrays[name] = pa.Array.from_pandas(df[name])

    entry = {
        "version": METADATA_VERSION,
        "creator": {"library": "embedframe", "version": __version__},
        "layout": layout,
        "dim": columns.dim,
        "dtype": dtype,
        "columns": columns.columns,
    }
    table = pa.table(arrays)
    metadata = dict(table.schema.metadata or {})
    metadata[METADATA_KEY] = json.dumps(entry).encode("utf-8")
    return table.replace_schema_metadata(metadata)


def from_arrow(
    table: pa.Table,
    *,
    validate: bool = True,
    allow_duplicates: bool = False,
    allow_nonfinite: bool = False,
) -> pd.DataFrame:
    """Convert an Arrow table in either layout to a frame.

    Parameters
    ----------
    table : pyarrow.Table
        A table written by :func:`to_arrow`, or one whose columns follow the
        wide or list layout.
    validate : bool, default True
        Validate the frame against the schema.
    allow_duplicates, allow_nonfinite : bool, default False
        Passed to :func:`embedframe.validate`.

    Returns
    -------
    pandas.DataFrame
        The same frame :func:`embedframe.read_csv` returns for the same data.

    Raises
    ------
    MetadataError
        If the ``embedframe`` metadata entry is malformed or disagrees with the
        columns.
    EmbeddingFormatError
        If the columns fit neither layout.
    pandera.errors.SchemaErrors
        If ``validate`` is True and the data breaks the schema.

    Examples
    --------
    >>> from embedframe import build_frame
    >>> frame = build_frame([[1.0, 2.0]], ["a.png"], [0])
    >>> from_arrow(to_arrow(frame, layout="list")).equals(frame)
    True
    """
    entry = _metadata(table)
    names = table.column_names
    list_type = table.schema.field(LIST_COLUMN).type if LIST_COLUMN in names else None
    wide_columns = _has_wide_columns(names)
    # Next to embedding_<i> columns, only a fixed-size list means the list
    # layout: a wide table may have a user column named "embedding".
    list_layout = list_type is not None and (
        pa.types.is_fixed_size_list(list_type)
        or (_is_list_type(list_type) and not wide_columns)
    )
    if entry is not None and entry["layout"] == "list" and not list_layout:
        raise MetadataError(
            f"Metadata key 'layout' is 'list' but the table has no "
            f"list column {LIST_COLUMN!r}."
        )
    if entry is not None and entry["layout"] == "wide" and list_layout:
        raise MetadataError(
            f"Metadata key 'layout' is 'wide' but the table has a "
            f"list column {LIST_COLUMN!r}."
        )
    if list_type is not None and not list_layout and not wide_columns:
        raise EmbeddingFormatError(
            f"Column {LIST_COLUMN!r} has type {list_type}; expected a list of "
            f"float or double with one vector per row, or columns embedding_0 "
            f".. embedding_<d-1> instead of it."
        )

    if list_layout:
        frame = _from_list(table, None if entry is None else entry["dim"])
    else:
        frame = _from_wide(table)
    if entry is not None:
        _check_entry(entry, frame)
    if validate:
        validate_frame(
            frame, allow_duplicates=allow_duplicates, allow_nonfinite=allow_nonfinite
        )
    return frame


def list_to_numpy(column: pa.Array | pa.ChunkedArray) -> npt.NDArray[Any]:
    """Return a list column of vectors as an (n, d) array.

    The column may be a fixed-size list, or a ``list`` or ``large_list``
    whose lists all have the same length. The result is a view of Arrow's
    buffer when the column has one chunk and no nulls; sliced arrays are
    handled by their offsets. Several chunks are concatenated into one copy.

    Parameters
    ----------
    column : pyarrow.Array or pyarrow.ChunkedArray
        The vectors, as lists of float or double.

    Returns
    -------
    numpy.ndarray
        One row per list, read-only when it is a view. A variable-length
        column without rows gives shape (0, 0), since it has no length to
        read.

    Raises
    ------
    EmbeddingFormatError
        If the column is not a list of float or double, has a missing vector,
        or has lists of different lengths.

    Examples
    --------
    >>> import pyarrow as pa
    >>> flat = pa.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], pa.float32())
    >>> column = pa.FixedSizeListArray.from_arrays(flat, 2)
    >>> list_to_numpy(column.slice(1))
    array([[3., 4.],
           [5., 6.]], dtype=float32)
    """
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    kind = column.type
    if not _is_list_type(kind) or kind.value_type not in (pa.float32(), pa.float64()):
        raise EmbeddingFormatError(
            f"Column {LIST_COLUMN!r} must be a list of float or double, found "
            f"type {kind}."
        )
    _reject_null_vectors(chunks)
    if pa.types.is_fixed_size_list(kind):
        dim = kind.list_size
    else:
        dim = _common_length(chunks)

    parts = []
    for chunk in chunks:
        # flatten() honours the chunk's offsets; .values would not.
        values = chunk.flatten()
        if values.null_count:
            values = values.fill_null(float("nan"))
        parts.append(values.to_numpy(zero_copy_only=False).reshape(len(chunk), dim))
    if not parts:
        return np.empty((0, dim), dtype=kind.value_type.to_pandas_dtype())
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _is_list_type(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_fixed_size_list(kind)
        or pa.types.is_list(kind)
        or pa.types.is_large_list(kind)
    )


def _has_wide_columns(names: list[str]) -> bool:
    return any(EMBEDDING_PATTERN.fullmatch(name) for name in names)


def _reject_null_vectors(chunks: list[pa.Array]) -> None:
    # Row position of the current chunk's first row in the whole column.
    start = 0
    for chunk in chunks:
        if chunk.null_count:
            nulls = chunk.is_null().to_numpy(zero_copy_only=False)
            row = start + int(np.flatnonzero(nulls)[0])
            raise EmbeddingFormatError(
                f"Column {LIST_COLUMN!r} has a missing vector at row {row}."
            )
        start += len(chunk)


def _common_length(chunks: list[pa.Array]) -> int:
    """Return the length shared by all lists, 0 when there are none."""
    lengths = [pc.list_value_length(chunk).to_numpy() for chunk in chunks]
    every = np.concatenate(lengths) if lengths else np.empty(0, np.int64)
    if every.size == 0:
        return 0
    first = int(every[0])
    different = np.flatnonzero(every != first)
    if different.size:
        row = int(different[0])
        raise EmbeddingFormatError(
            f"Column {LIST_COLUMN!r} has lists of different lengths: row 0 has "
            f"{plural(first, 'value')} but row {row} has {int(every[row])}. "
            f"Every vector needs the same number of dimensions."
        )
    return first


def read_parquet(
    path: str | os.PathLike[str],
    *,
    validate: bool = True,
    allow_duplicates: bool = False,
    allow_nonfinite: bool = False,
) -> pd.DataFrame:
    """Read a Parquet file in either layout into a frame.

    Parameters
    ----------
    path : str or os.PathLike
        The Parquet file.
    validate, allow_duplicates, allow_nonfinite : bool
        As for :func:`from_arrow`.

    Returns
    -------
    pandas.DataFrame
        A frame in the Lightly layout.

    Raises
    ------
    EmbeddingFormatError
        If ``path`` is a directory, the file is not Parquet or its columns fit
        neither layout.
    EmbeddingParseError
        If ``validate`` is True and the data breaks the schema, with one
        problem per failing value, located by row position.
    MetadataError
        If the ``embedframe`` metadata entry is malformed.
    FileNotFoundError
        If ``path`` does not exist.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from embedframe import build_frame
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "e.parquet"
    >>> write_parquet(build_frame([[1.0]], ["a.png"], [0]), path, layout="list")
    >>> read_parquet(path).shape
    (1, 3)
    """
    source = os.fspath(path)
    # pyarrow would read a directory as a dataset and merge its files.
    if os.path.isdir(source):
        raise EmbeddingFormatError(
            f"{source} is a directory; expected a Parquet file. Pass the path "
            f"of one file."
        )
    try:
        table = pq.read_table(source)
    except FileNotFoundError as exc:
        # pyarrow's message is only the path, so raise with the OS error text.
        raise FileNotFoundError(
            errno.ENOENT, os.strerror(errno.ENOENT), source
        ) from exc
    except PermissionError:
        raise
    except (pa.ArrowInvalid, OSError) as exc:
        # pyarrow raises ArrowInvalid when the magic bytes are missing and
        # OSError when the footer after them cannot be decoded.
        reason = str(exc).strip()
        raise EmbeddingFormatError(
            f"{source}: not a readable Parquet file: {reason}"
        ) from exc
    try:
        return from_arrow(
            table,
            validate=validate,
            allow_duplicates=allow_duplicates,
            allow_nonfinite=allow_nonfinite,
        )
    except pandera.errors.SchemaErrors as exc:
        raise EmbeddingParseError(source, schema_problems(exc)) from exc
    except MetadataError as exc:
        raise MetadataError(f"{source}: {exc}") from exc
    except EmbeddingFormatError as exc:
        raise EmbeddingFormatError(f"{source}: {exc}") from exc


def write_parquet(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    layout: ArrowLayout = "wide",
    compression: str | None = "zstd",
    validate: bool = True,
    allow_duplicates: bool = False,
    allow_nonfinite: bool = False,
) -> None:
    """Write a frame as a Parquet file, atomically.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame in the Lightly layout.
    path : str or os.PathLike
        The file to create or replace.
    layout : {'wide', 'list'}, default 'wide'
        As for :func:`to_arrow`.
    compression : str or None, default 'zstd'
        Parquet compression codec, in any case: one of ``PARQUET_CODECS`` that
        this pyarrow build includes. None writes uncompressed, like 'none'.
    validate : bool, default True
        Check the frame against the schema first, as
        :func:`embedframe.write_csv` does. Labels and 0/1 columns are always
        checked to be integers that fit in int64.
    allow_duplicates, allow_nonfinite : bool, default False
        Accept duplicate file names or NaN and infinite values when
        validating.

    Raises
    ------
    EmbeddingValueError
        If the frame is not in the Lightly layout, breaks the schema,
        ``compression`` is not a codec this pyarrow build can write, or a
        label would change.
    """
    _check_compression(compression)
    check_for_write(
        df,
        schema=validate,
        allow_duplicates=allow_duplicates,
        allow_nonfinite=allow_nonfinite,
    )
    table = to_arrow(df, layout=layout)
    with atomic_write(path) as handle:
        pq.write_table(table, handle, compression=compression)


def _check_compression(compression: str | None) -> None:
    if compression is None:
        return
    available = [
        name for name in PARQUET_CODECS if name == "none" or pa.Codec.is_available(name)
    ]
    if not isinstance(compression, str) or compression.lower() not in available:
        listed = ", ".join(repr(name) for name in available)
        raise EmbeddingValueError(
            f"compression must be one of {listed} (got {compression!r})."
        )


def _from_wide(table: pa.Table) -> pd.DataFrame:
    names = table.column_names
    problems = header_problems(names)
    if problems:
        details = "; ".join(
            p.format("table").removeprefix("table:1: ") for p in problems
        )
        raise EmbeddingFormatError(f"The table fits neither layout: {details}.")
    layout = resolve_layout(names)
    dtypes = {table.schema.field(name).type for name in layout.embeddings}
    if len(dtypes) != 1 or not dtypes <= {pa.float32(), pa.float64()}:
        found = ", ".join(sorted(str(t) for t in dtypes))
        raise EmbeddingFormatError(
            f"Embedding columns must all be float or all be double, found {found}."
        )
    dtype = dtypes.pop().to_pandas_dtype()
    block = np.empty((layout.dim, table.num_rows), dtype=dtype)
    for position, name in enumerate(layout.embeddings):
        block[position] = table.column(name).to_numpy()
    return _assemble(table, layout, block.T)


def _from_list(table: pa.Table, entry_dim: int | None) -> pd.DataFrame:
    column = table.column(LIST_COLUMN)
    matrix = list_to_numpy(column)
    if table.num_rows == 0 and not pa.types.is_fixed_size_list(column.type):
        # An empty variable-length column has no vector to take the length from.
        if entry_dim is None:
            raise EmbeddingFormatError(
                f"Column {LIST_COLUMN!r} is a variable-length list without rows "
                f"and the table has no embedframe metadata, so the number of "
                f"dimensions is unknown. Write it as a fixed-size list."
            )
        matrix = np.empty((0, entry_dim), dtype=matrix.dtype)
    others = [name for name in table.column_names if name != LIST_COLUMN]
    layout = Layout.for_dim(matrix.shape[1])
    names = [*others, *layout.embeddings]
    problems = header_problems(names)
    if problems:
        details = "; ".join(
            p.format("table").removeprefix("table:1: ") for p in problems
        )
        raise EmbeddingFormatError(f"The table fits neither layout: {details}.")
    return _assemble(table, resolve_layout(names), matrix)


def _assemble(
    table: pa.Table, layout: Layout, matrix: npt.NDArray[Any]
) -> pd.DataFrame:
    labels = _int64_values(table, LABELS)
    filenames = _filename_values(table)
    frame = build_frame(matrix, filenames, labels, validate=False)
    columns: dict[str, Any] = {}
    for name in layout.extras:
        columns[name] = _int64_values(table, name)
    # NOTE: user columns use Arrow's default pandas conversion, so a nullable
    # integer column with missing values comes back as float64, which rounds
    # integers above 2**53.
    for name in layout.user:
        columns[name] = table.column(name).to_pandas()
    for name, values in columns.items():
        frame[name] = values
    return frame[layout.columns] if columns else frame


def _filename_values(table: pa.Table) -> Sequence[str]:
    column = table.column(FILENAMES)
    kind = column.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    text = (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_string_view(kind)
    )
    if column.null_count or not text:
        raise EmbeddingFormatError(
            f"Column {FILENAMES!r} must be strings without missing values, "
            f"found type {column.type} with {column.null_count} missing."
        )
    # An object array of str, which build_frame reads like a sequence.
    return cast("Sequence[str]", column.to_numpy(zero_copy_only=False))


def _int64_values(table: pa.Table, name: str) -> npt.NDArray[np.int64]:
    """Return an integer column as int64, rejecting values that do not fit."""
    column = table.column(name)
    # masked and selected are 0/1 flags, so a boolean column fits them too.
    allowed = pa.types.is_integer(column.type) or (
        name != LABELS and pa.types.is_boolean(column.type)
    )
    if column.null_count or not allowed:
        expected = "integers" if name == LABELS else "integers or booleans"
        raise EmbeddingFormatError(
            f"Column {name!r} must be {expected} without missing values, "
            f"found type {column.type} with {column.null_count} missing."
        )
    values: npt.NDArray[Any] = column.to_numpy()
    # Only uint64 can hold values above the int64 maximum.
    maximum = np.iinfo(np.int64).max
    if values.dtype == np.uint64:
        too_large = np.flatnonzero(values > maximum)
        if too_large.size:
            row = int(too_large[0])
            raise EmbeddingFormatError(
                f"Column {name!r} has {values[row]} at row {row}, which does "
                f"not fit in int64 (maximum {maximum})."
            )
    return values.astype(np.int64, copy=False)


def _metadata(table: pa.Table) -> dict[str, Any] | None:
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        return None
    try:
        entry = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MetadataError(
            f"Metadata key 'embedframe' is not valid JSON: {exc}"
        ) from exc
    if not isinstance(entry, dict):
        raise MetadataError(
            f"Metadata key 'embedframe' must be a JSON object, "
            f"found {json.dumps(entry)}."
        )

    # Required keys and their JSON types. 'creator' and 'columns' are written
    # for people and other tools, and reading does not need them.
    expected = {
        "version": (int, "an integer"),
        "layout": (str, "a string"),
        "dim": (int, "an integer"),
        "dtype": (str, "a string"),
    }
    for key, (kind, description) in expected.items():
        if key not in entry:
            raise MetadataError(f"Metadata entry 'embedframe' is missing key {key!r}.")
        value = entry[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise MetadataError(
                f"Metadata key {key!r} must be {description}, "
                f"found {json.dumps(value)}."
            )

    if entry["version"] != METADATA_VERSION:
        raise MetadataError(
            f"Metadata key 'version' is {entry['version']}; this release of "
            f"embedframe reads version {METADATA_VERSION}. Upgrade embedframe."
        )
    if entry["layout"] not in ("wide", "list"):
        raise MetadataError(
            f"Metadata key 'layout' must be 'wide' or 'list', "
            f"found {entry['layout']!r}."
        )
    if entry["dtype"] not in ("float32", "float64"):
        raise MetadataError(
            f"Metadata key 'dtype' must be 'float32' or 'float64', "
            f"found {entry['dtype']!r}."
        )
    return entry


def _check_entry(entry: dict[str, Any], frame: pd.DataFrame) -> None:
    layout = frame_layout(frame)
    dtype = str(frame[layout.embeddings[0]].dtype) if layout.dim else entry["dtype"]
    if entry["dim"] != layout.dim:
        raise MetadataError(
            f"Metadata key 'dim' is {entry['dim']} but the table has {layout.dim} "
            f"embedding dimensions."
        )
    if entry["dtype"] != dtype:
        raise MetadataError(
            f"Metadata key 'dtype' is {entry['dtype']!r} "
            f"but the embeddings are {dtype}."
        )
