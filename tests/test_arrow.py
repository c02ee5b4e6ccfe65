"""Arrow tables and Parquet files: layouts, metadata, other readers, atomicity."""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from data.make_golden import golden_frame, golden_path
from hypothesis import given
from strategies import embedding_frames

import embedframe
from conftest import make_embedding_frame
from embedframe.errors import (
    EmbeddingFormatError,
    EmbeddingParseError,
    EmbeddingValueError,
    MetadataError,
)
from embedframe.formats.arrow import (
    LIST_COLUMN,
    METADATA_KEY,
    METADATA_VERSION,
    from_arrow,
    list_to_numpy,
    read_parquet,
    to_arrow,
    write_parquet,
)

LAYOUTS = ("wide", "list")
DTYPES = ("float32", "float64")
#: Unsigned integer type with the width of each float type, to compare bits.
BITS = {np.dtype("float32"): np.uint32, np.dtype("float64"): np.uint64}


def embedding_bits(frame: pd.DataFrame) -> np.ndarray:
    """Return the embedding matrix as raw bits, so -0.0 differs from 0.0."""
    matrix = frame.emb.to_numpy()
    return matrix.view(BITS[matrix.dtype])


def assert_identical(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Assert equal columns, dtypes and values, with embeddings bit for bit."""
    pd.testing.assert_frame_equal(actual, expected, check_exact=True)
    np.testing.assert_array_equal(embedding_bits(actual), embedding_bits(expected))


def entry_of(table: pa.Table) -> dict[str, Any]:
    """Return the decoded embedframe metadata entry of a table."""
    result: dict[str, Any] = json.loads(table.schema.metadata[METADATA_KEY])
    return result


def with_entry(table: pa.Table, raw: bytes) -> pa.Table:
    """Return the table with its embedframe entry replaced by ``raw``."""
    return table.replace_schema_metadata({METADATA_KEY: raw})


def with_changed_entry(table: pa.Table, **changes: Any) -> pa.Table:
    """Return the table with some keys of its embedframe entry changed."""
    entry = entry_of(table) | changes
    return with_entry(table, json.dumps(entry).encode())


def frame_with_extras(dtype: str = "float32") -> pd.DataFrame:
    """Return a frame with masked, selected and two user columns."""
    frame = make_embedding_frame(5, 3, dtype=dtype)
    frame.insert(4, "masked", np.array([0, 1, 0, 1, 1], dtype=np.int64))
    frame.insert(5, "selected", np.array([1, 0, 0, 0, 1], dtype=np.int64))
    frame["note"] = pd.Series(["a", "", "b,c", "d\ne", "f"], dtype="str")
    frame["score"] = np.array([0.5, -1.0, 2.25, 0.0, 8.0])
    return frame


# Round trips


@pytest.mark.parametrize("layout", LAYOUTS)
@given(frame=embedding_frames())
def test_parquet_round_trip_identical(
    layout: str, frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Any valid frame, float32 or float64, survives Parquet bit for bit."""
    path = tmp_path_factory.mktemp("round") / "e.parquet"

    write_parquet(frame, path, layout=layout)  # type: ignore[arg-type]
    result = read_parquet(path)

    assert_identical(result, frame)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_arrow_round_trip_special_values(layout: str, dtype: str) -> None:
    """Negative zero, subnormals and the extremes keep their exact bits."""
    info = np.finfo(dtype)
    matrix = np.array(
        [[-0.0, 0.0, info.smallest_subnormal], [info.max, info.min, -info.tiny]],
        dtype=dtype,
    )
    frame = embedframe.build_frame(matrix, ["a.png", "b.png"], [0, 1])

    result = from_arrow(to_arrow(frame, layout=layout))  # type: ignore[arg-type]

    assert_identical(result, frame)
    assert result.emb.to_numpy().dtype == np.dtype(dtype)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_round_trip_keeps_extra_columns(layout: str, tmp_path: Path) -> None:
    frame = frame_with_extras()
    path = tmp_path / "e.parquet"

    write_parquet(frame, path, layout=layout)  # type: ignore[arg-type]
    result = read_parquet(path)

    assert result.columns.tolist() == frame.columns.tolist()
    assert_identical(result, frame)


def test_wide_table_columns_resolved_by_name() -> None:
    """A wide table in any column order reads into the canonical order."""
    table = pa.table(
        {
            "labels": pa.array([4, 5], pa.int64()),
            "embedding_1": pa.array([2.0, 4.0], pa.float32()),
            "note": pa.array(["x", "y"]),
            "filenames": pa.array(["a.png", "b.png"]),
            "embedding_0": pa.array([1.0, 3.0], pa.float32()),
        }
    )
    expected = embedframe.build_frame(
        np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32), ["a.png", "b.png"], [4, 5]
    )
    expected["note"] = pd.Series(["x", "y"], dtype="str")

    result = from_arrow(table)

    assert_identical(result, expected)


# Metadata written


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_metadata_entry_content(layout: str, dtype: str, tmp_path: Path) -> None:
    frame = frame_with_extras(dtype)
    path = tmp_path / "e.parquet"
    expected = {
        "version": 1,
        "creator": {"library": "embedframe", "version": embedframe.__version__},
        "layout": layout,
        "dim": 3,
        "dtype": dtype,
        "columns": [
            "filenames",
            "embedding_0",
            "embedding_1",
            "embedding_2",
            "masked",
            "selected",
            "labels",
            "note",
            "score",
        ],
    }

    table = to_arrow(frame, layout=layout)  # type: ignore[arg-type]
    write_parquet(frame, path, layout=layout)  # type: ignore[arg-type]

    assert entry_of(table) == expected
    assert set(table.schema.metadata) == {METADATA_KEY}
    assert entry_of(pq.read_table(path)) == expected


@pytest.mark.parametrize("dtype", DTYPES)
def test_list_layout_column_type(dtype: str) -> None:
    frame = make_embedding_frame(4, 5, dtype=dtype)

    table = to_arrow(frame, layout="list")

    assert table.column_names == ["filenames", LIST_COLUMN, "labels"]
    assert table.schema.field(LIST_COLUMN).type == pa.list_(
        pa.from_numpy_dtype(np.dtype(dtype)), 5
    )


# Metadata read: every MetadataError


def test_metadata_not_json(frame: pd.DataFrame) -> None:
    raw = b"{not json"
    with pytest.raises(json.JSONDecodeError) as parse_error:
        json.loads(raw)
    message = f"Metadata key 'embedframe' is not valid JSON: {parse_error.value}"

    with pytest.raises(MetadataError, match=re.escape(message)):
        from_arrow(with_entry(to_arrow(frame), raw))


@pytest.mark.parametrize(
    ("raw", "shown"),
    [(b"[1, 2]", "[1, 2]"), (b'"wide"', '"wide"'), (b"null", "null"), (b"7", "7")],
)
def test_metadata_not_object(frame: pd.DataFrame, raw: bytes, shown: str) -> None:
    message = f"Metadata key 'embedframe' must be a JSON object, found {shown}."

    with pytest.raises(MetadataError, match=re.escape(message)):
        from_arrow(with_entry(to_arrow(frame), raw))


@pytest.mark.parametrize("key", ["version", "layout", "dim", "dtype"])
def test_metadata_missing_key(frame: pd.DataFrame, key: str) -> None:
    table = to_arrow(frame)
    entry = entry_of(table)
    del entry[key]
    message = f"Metadata entry 'embedframe' is missing key {key!r}."

    with pytest.raises(MetadataError, match=re.escape(message)):
        from_arrow(with_entry(table, json.dumps(entry).encode()))


@pytest.mark.parametrize("key", ["creator", "columns"])
def test_metadata_optional_key(frame: pd.DataFrame, key: str) -> None:
    """Reading does not use the informative keys, so they may be missing."""
    table = to_arrow(frame)
    entry = entry_of(table)
    del entry[key]

    result = from_arrow(with_entry(table, json.dumps(entry).encode()))

    assert_identical(result, frame)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("version", "1", "Metadata key 'version' must be an integer, found \"1\"."),
        ("version", True, "Metadata key 'version' must be an integer, found true."),
        ("layout", 1, "Metadata key 'layout' must be a string, found 1."),
        ("dim", 4.0, "Metadata key 'dim' must be an integer, found 4.0."),
        ("dim", None, "Metadata key 'dim' must be an integer, found null."),
        (
            "dtype",
            ["float32"],
            "Metadata key 'dtype' must be a string, found [\"float32\"].",
        ),
    ],
)
def test_metadata_wrong_type(
    frame: pd.DataFrame, key: str, value: Any, message: str
) -> None:
    table = with_changed_entry(to_arrow(frame), **{key: value})

    with pytest.raises(MetadataError, match=re.escape(message)):
        from_arrow(table)


@pytest.mark.parametrize("version", [0, METADATA_VERSION + 1])
def test_metadata_unsupported_version(frame: pd.DataFrame, version: int) -> None:
    table = with_changed_entry(to_arrow(frame), version=version)
    message = (
        f"Metadata key 'version' is {version}; this release of embedframe reads "
        f"version 1. Upgrade embedframe."
    )

    with pytest.raises(MetadataError, match=re.escape(message)):
        from_arrow(table)


def test_metadata_unknown_layout(frame: pd.DataFrame) -> None:
    table = with_changed_entry(to_arrow(frame), layout="tall")
    message = "Metadata key 'layout' must be 'wide' or 'list', found 'tall'."

    with pytest.raises(MetadataError, match=re.escape(message)):
        from_arrow(table)


def test_metadata_unknown_dtype(frame: pd.DataFrame) -> None:
    table = with_changed_entry(to_arrow(frame), dtype="float16")
    message = "Metadata key 'dtype' must be 'float32' or 'float64', found 'float16'."

    with pytest.raises(MetadataError, match=re.escape(message)):
        from_arrow(table)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_metadata_dim_disagrees(frame: pd.DataFrame, layout: str) -> None:
    table = with_changed_entry(to_arrow(frame, layout=layout), dim=5)  # type: ignore[arg-type]
    message = "Metadata key 'dim' is 5 but the table has 4 embedding dimensions."

    with pytest.raises(MetadataError, match=re.escape(message)):
        from_arrow(table)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_metadata_dtype_disagrees(frame: pd.DataFrame, layout: str) -> None:
    table = with_changed_entry(to_arrow(frame, layout=layout), dtype="float64")  # type: ignore[arg-type]
    message = "Metadata key 'dtype' is 'float64' but the embeddings are float32."

    with pytest.raises(MetadataError, match=re.escape(message)):
        from_arrow(table)


def test_metadata_list_without_column(frame: pd.DataFrame) -> None:
    table = with_changed_entry(to_arrow(frame, layout="wide"), layout="list")
    message = (
        "Metadata key 'layout' is 'list' but the table has no list column 'embedding'."
    )

    with pytest.raises(MetadataError, match=re.escape(message)):
        from_arrow(table)


def test_metadata_wide_with_list_column(frame: pd.DataFrame) -> None:
    table = with_changed_entry(to_arrow(frame, layout="list"), layout="wide")
    message = (
        "Metadata key 'layout' is 'wide' but the table has a list column 'embedding'."
    )

    with pytest.raises(MetadataError, match=re.escape(message)):
        from_arrow(table)


def test_metadata_error_names_file(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    pq.write_table(with_changed_entry(to_arrow(frame), dim=9), path)
    message = (
        f"{path}: Metadata key 'dim' is 9 but the table has 4 embedding dimensions."
    )

    with pytest.raises(MetadataError, match=re.escape(message)):
        read_parquet(path)


# Tables without metadata


@pytest.mark.parametrize("layout", LAYOUTS)
def test_table_without_metadata(frame: pd.DataFrame, layout: str) -> None:
    table = to_arrow(frame, layout=layout).replace_schema_metadata(None)  # type: ignore[arg-type]

    result = from_arrow(table)

    assert_identical(result, frame)


def test_list_table_built_by_hand() -> None:
    """A list table built without embedframe, so without metadata, reads."""
    vectors = pa.array([[1.5, -0.0], [2.0, 3.0]], pa.list_(pa.float64(), 2))
    table = pa.table(
        {"filenames": ["a.png", "b.png"], "embedding": vectors, "labels": [1, 2]}
    )
    expected = embedframe.build_frame(
        np.array([[1.5, -0.0], [2.0, 3.0]]), ["a.png", "b.png"], [1, 2]
    )

    result = from_arrow(table)

    assert_identical(result, expected)


def test_pandas_parquet_reads(frame: pd.DataFrame, tmp_path: Path) -> None:
    """A file from DataFrame.to_parquet has pandas metadata only and reads."""
    path = tmp_path / "pandas.parquet"
    frame.to_parquet(path)

    result = read_parquet(path)

    assert_identical(result, frame)


def test_table_fits_neither_layout() -> None:
    table = pa.table({"name": ["a.png"], "embedding_0": [1.0], "labels": [0]})
    message = "The table fits neither layout: missing required column 'filenames'."

    with pytest.raises(EmbeddingFormatError, match=re.escape(message)):
        from_arrow(table)


def test_table_mixed_float_types() -> None:
    table = pa.table(
        {
            "filenames": ["a.png"],
            "embedding_0": pa.array([1.0], pa.float32()),
            "embedding_1": pa.array([1.0], pa.float64()),
            "labels": [0],
        }
    )
    message = (
        "Embedding columns must all be float or all be double, found double, float."
    )

    with pytest.raises(EmbeddingFormatError, match=re.escape(message)):
        from_arrow(table)


def test_table_labels_not_integers() -> None:
    table = pa.table(
        {
            "filenames": ["a.png", "b.png"],
            "embedding_0": pa.array([1.0, 2.0], pa.float32()),
            "labels": pa.array([0.5, None], pa.float64()),
        }
    )
    message = (
        "Column 'labels' must be integers without missing values, found type "
        "double with 1 missing."
    )

    with pytest.raises(EmbeddingFormatError, match=re.escape(message)):
        from_arrow(table)


def table_with(name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    """Return a 4-row wide table whose column ``name`` is ``values``."""
    columns: dict[str, Any] = {
        "filenames": ["a.png", "b.png", "c.png", "d.png"],
        "embedding_0": pa.array([1.0, 2.0, 3.0, 4.0], pa.float32()),
        "masked": pa.array([0, 1, 0, 1], pa.int64()),
        "labels": pa.array([0, 1, 2, 3], pa.int64()),
    }
    columns[name] = values
    return pa.table(columns)


@pytest.mark.parametrize("name", ["labels", "masked"])
def test_table_uint64_above_int64_rejected(name: str) -> None:
    """2**64 - 1 would wrap to -1 in int64, so it is rejected."""
    values = pa.array([0, 1, 2**64 - 1, 1], pa.uint64())
    message = (
        f"Column {name!r} has 18446744073709551615 at row 2, which does not fit "
        f"in int64 (maximum 9223372036854775807)."
    )

    with pytest.raises(EmbeddingFormatError, match=f"^{re.escape(message)}$"):
        from_arrow(table_with(name, values))


def test_table_uint64_row_counts_across_chunks() -> None:
    first = pa.array([0, 1], pa.uint64())
    second = pa.array([2, 2**63], pa.uint64())
    values = pa.chunked_array([first, second])
    message = (
        "Column 'labels' has 9223372036854775808 at row 3, which does not fit in "
        "int64 (maximum 9223372036854775807)."
    )

    with pytest.raises(EmbeddingFormatError, match=f"^{re.escape(message)}$"):
        from_arrow(table_with("labels", values))


def test_table_uint64_in_range_reads() -> None:
    maximum = 2**63 - 1
    values = pa.array([0, 7, maximum, 1], pa.uint64())

    result = from_arrow(table_with("labels", values))

    assert result["labels"].dtype == np.int64
    assert result["labels"].tolist() == [0, 7, maximum, 1]


def test_parquet_uint64_labels_name_file(tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    pq.write_table(table_with("labels", pa.array([2**64 - 1] * 4, pa.uint64())), path)
    message = (
        f"{path}: Column 'labels' has 18446744073709551615 at row 0, which does "
        f"not fit in int64 (maximum 9223372036854775807)."
    )

    with pytest.raises(EmbeddingFormatError, match=f"^{re.escape(message)}$"):
        read_parquet(path)


@pytest.mark.parametrize(
    ("values", "type_text", "missing"),
    [
        (pa.array(["a.png", None, "c.png", "d.png"]), "string", 1),
        (pa.array([1, 2, 3, 4]), "int64", 0),
    ],
    ids=["missing", "integers"],
)
def test_table_filenames_not_strings(
    values: pa.Array, type_text: str, missing: int
) -> None:
    """A missing name is not read as the text 'None'."""
    message = (
        f"Column 'filenames' must be strings without missing values, found type "
        f"{type_text} with {missing} missing."
    )

    with pytest.raises(EmbeddingFormatError, match=f"^{re.escape(message)}$"):
        from_arrow(table_with("filenames", values))


@pytest.mark.parametrize(
    "values",
    [
        pa.array(["a.png", "b.png", "c.png", "d.png"], pa.large_string()),
        pa.array(["a.png", "b.png", "c.png", "d.png"], pa.string_view()),
        pa.array(["a.png", "b.png", "c.png", "d.png"]).dictionary_encode(),
    ],
    ids=["large_string", "string_view", "dictionary"],
)
def test_table_filenames_string_types_read(values: pa.Array) -> None:
    result = from_arrow(table_with("filenames", values))

    assert result["filenames"].tolist() == ["a.png", "b.png", "c.png", "d.png"]


@pytest.mark.parametrize(
    ("values", "type_text", "missing"),
    [
        (pa.array([0, None, 1, 0], pa.int64()), "int64", 1),
        (pa.array([0.0, 0.5, 1.0, 0.0], pa.float64()), "double", 0),
        (pa.array(["0", "1", "0", "1"]), "string", 0),
    ],
    ids=["missing", "float", "string"],
)
def test_table_masked_not_integers(
    values: pa.Array, type_text: str, missing: int
) -> None:
    message = (
        f"Column 'masked' must be integers or booleans without missing values, "
        f"found type {type_text} with {missing} missing."
    )

    with pytest.raises(EmbeddingFormatError, match=f"^{re.escape(message)}$"):
        from_arrow(table_with("masked", values))


def test_table_masked_boolean_reads() -> None:
    values = pa.array([True, False, False, True])

    result = from_arrow(table_with("masked", values))

    assert result["masked"].dtype == np.int64
    assert result["masked"].tolist() == [1, 0, 0, 1]


# list_to_numpy


def list_column(rows: list[list[float] | None], dtype: str = "float32") -> pa.Array:
    """Build a fixed-size list array from Python rows."""
    size = len(next(row for row in rows if row is not None))
    return pa.array(rows, pa.list_(pa.from_numpy_dtype(np.dtype(dtype)), size))


def values_buffer(column: pa.FixedSizeListArray) -> np.ndarray:
    """Return the float buffer behind a list column as a NumPy view."""
    values = column.values
    return np.frombuffer(values.buffers()[1], dtype=values.type.to_pandas_dtype())


@pytest.mark.parametrize("dtype", DTYPES)
def test_list_to_numpy_zero_copy(dtype: str) -> None:
    column = list_column([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype)

    matrix = list_to_numpy(column)

    assert np.shares_memory(matrix, values_buffer(column))
    assert matrix.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(matrix, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def test_list_to_numpy_one_chunk_zero_copy() -> None:
    """A ChunkedArray with one chunk, as a table column, is still a view."""
    column = list_column([[1.0, 2.0], [3.0, 4.0]])
    chunked = pa.chunked_array([column])

    matrix = list_to_numpy(chunked)

    assert np.shares_memory(matrix, values_buffer(column))
    assert not matrix.flags.writeable


def test_list_to_numpy_sliced() -> None:
    column = list_column([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    sliced = column.slice(1, 2)

    matrix = list_to_numpy(sliced)

    np.testing.assert_array_equal(matrix, [[3.0, 4.0], [5.0, 6.0]])
    assert np.shares_memory(matrix, values_buffer(column))


def test_list_to_numpy_sliced_after_null() -> None:
    """A slice that starts after a missing vector has no nulls left."""
    column = list_column([None, [1.0, 2.0], [3.0, 4.0]]).slice(1)

    matrix = list_to_numpy(column)

    np.testing.assert_array_equal(matrix, [[1.0, 2.0], [3.0, 4.0]])


def test_list_to_numpy_several_chunks() -> None:
    first = list_column([[1.0, 2.0], [3.0, 4.0]])
    second = list_column([[0.0, 0.0], [5.0, 6.0], [7.0, 8.0]]).slice(1)

    matrix = list_to_numpy(pa.chunked_array([first, second]))

    np.testing.assert_array_equal(
        matrix, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]
    )
    assert matrix.dtype == np.float32


def test_list_to_numpy_no_chunks() -> None:
    chunked = pa.chunked_array([], pa.list_(pa.float64(), 3))

    matrix = list_to_numpy(chunked)

    assert matrix.shape == (0, 3)
    assert matrix.dtype == np.float64


def test_list_to_numpy_null_vector() -> None:
    column = list_column([[1.0, 2.0], None, [3.0, 4.0]])
    message = "Column 'embedding' has a missing vector at row 1."

    with pytest.raises(EmbeddingFormatError, match=re.escape(message)):
        list_to_numpy(column)


def test_list_to_numpy_null_vector_in_later_chunk() -> None:
    """The row counts from the start of the column, not of the chunk."""
    first = list_column([[1.0, 2.0], [3.0, 4.0]])
    second = list_column([[5.0, 6.0], None])
    message = "Column 'embedding' has a missing vector at row 3."

    with pytest.raises(EmbeddingFormatError, match=re.escape(message)):
        list_to_numpy(pa.chunked_array([first, second]))


def test_list_to_numpy_null_value_becomes_nan() -> None:
    values = pa.array([1.0, None, 3.0, 4.0], pa.float32())
    column = pa.FixedSizeListArray.from_arrays(values, 2)

    matrix = list_to_numpy(column)

    np.testing.assert_array_equal(matrix, [[1.0, np.nan], [3.0, 4.0]])


@pytest.mark.parametrize(
    ("kind", "type_text"),
    [
        (pa.float32(), "float"),
        (pa.list_(pa.int64()), "list<item: int64>"),
        (pa.list_(pa.float16(), 2), "fixed_size_list<item: halffloat>[2]"),
        (pa.string(), "string"),
    ],
    ids=["float", "int-list", "half-list", "string"],
)
def test_list_to_numpy_wrong_type(kind: pa.DataType, type_text: str) -> None:
    column = pa.nulls(1, kind)
    message = (
        f"Column 'embedding' must be a list of float or double, found type {type_text}."
    )

    with pytest.raises(EmbeddingFormatError, match=f"^{re.escape(message)}$"):
        list_to_numpy(column)


def variable_list(
    rows: list[list[float] | None], dtype: str = "float32", *, large: bool = False
) -> pa.Array:
    """Build a variable-length list array, as DuckDB writes vectors."""
    value_type = pa.from_numpy_dtype(np.dtype(dtype))
    kind = pa.large_list(value_type) if large else pa.list_(value_type)
    return pa.array(rows, kind)


@pytest.mark.parametrize("large", [False, True], ids=["list", "large_list"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_variable_list_zero_copy(dtype: str, large: bool) -> None:
    column = variable_list([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype, large=large)

    matrix = list_to_numpy(column)

    np.testing.assert_array_equal(matrix, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert matrix.dtype == np.dtype(dtype)
    assert np.shares_memory(matrix, values_buffer(column))
    assert not matrix.flags.writeable


def test_variable_list_sliced() -> None:
    """A slice is read from its own offsets, past a list of another length."""
    column = variable_list([[9.0], [1.0, 2.0], [3.0, 4.0], [5.0, 6.0, 7.0]])
    sliced = column.slice(1, 2)

    matrix = list_to_numpy(sliced)

    np.testing.assert_array_equal(matrix, [[1.0, 2.0], [3.0, 4.0]])
    assert np.shares_memory(matrix, values_buffer(column))


def test_variable_list_several_chunks() -> None:
    first = variable_list([[1.0, 2.0]])
    second = variable_list([[0.0], [3.0, 4.0], [5.0, 6.0]]).slice(1)

    matrix = list_to_numpy(pa.chunked_array([first, second]))

    np.testing.assert_array_equal(matrix, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert matrix.dtype == np.float32


def test_variable_list_different_lengths() -> None:
    column = variable_list([[1.0, 2.0], [3.0, 4.0], [5.0], [6.0, 7.0, 8.0]])
    message = (
        "Column 'embedding' has lists of different lengths: row 0 has 2 values "
        "but row 2 has 1. Every vector needs the same number of dimensions."
    )

    with pytest.raises(EmbeddingFormatError, match=f"^{re.escape(message)}$"):
        list_to_numpy(column)


def test_variable_list_one_value_singular() -> None:
    column = variable_list([[1.0], [2.0, 3.0]])
    message = (
        "Column 'embedding' has lists of different lengths: row 0 has 1 value "
        "but row 1 has 2. Every vector needs the same number of dimensions."
    )

    with pytest.raises(EmbeddingFormatError, match=f"^{re.escape(message)}$"):
        list_to_numpy(column)


def test_variable_list_different_length_later_chunk() -> None:
    """The row counts from the start of the column, not of the chunk."""
    first = variable_list([[1.0, 2.0], [3.0, 4.0]])
    second = variable_list([[5.0, 6.0], [7.0, 8.0, 9.0]])
    message = (
        "Column 'embedding' has lists of different lengths: row 0 has 2 values "
        "but row 3 has 3. Every vector needs the same number of dimensions."
    )

    with pytest.raises(EmbeddingFormatError, match=f"^{re.escape(message)}$"):
        list_to_numpy(pa.chunked_array([first, second]))


def test_variable_list_null_vector() -> None:
    """A missing vector is reported as missing, not as a length of 0."""
    column = variable_list([[1.0, 2.0], None, [3.0, 4.0]])
    message = "Column 'embedding' has a missing vector at row 1."

    with pytest.raises(EmbeddingFormatError, match=f"^{re.escape(message)}$"):
        list_to_numpy(column)


def test_variable_list_empty() -> None:
    matrix = list_to_numpy(variable_list([], "float64"))

    assert matrix.shape == (0, 0)
    assert matrix.dtype == np.float64


def test_list_table_null_vector_not_read(frame: pd.DataFrame) -> None:
    table = to_arrow(frame, layout="list")
    vectors = table.column(LIST_COLUMN).combine_chunks()
    mask = pa.array([False, False, True, False, False, False])
    broken = table.set_column(
        1, LIST_COLUMN, pa.FixedSizeListArray.from_arrays(vectors.values, 4, mask=mask)
    )
    message = "Column 'embedding' has a missing vector at row 2."

    with pytest.raises(EmbeddingFormatError, match=re.escape(message)):
        from_arrow(broken)


@pytest.mark.parametrize("large", [False, True], ids=["list", "large_list"])
@pytest.mark.parametrize("with_metadata", [False, True], ids=["bare", "metadata"])
def test_variable_list_table_reads(large: bool, with_metadata: bool) -> None:
    table = to_arrow(frame_with_extras(), layout="list")
    value_type = pa.float32()
    kind = pa.large_list(value_type) if large else pa.list_(value_type)
    position = table.column_names.index(LIST_COLUMN)
    table = table.set_column(
        position, LIST_COLUMN, table.column(LIST_COLUMN).cast(kind)
    )
    if not with_metadata:
        table = table.replace_schema_metadata(None)

    result = from_arrow(table)

    assert_identical(result, frame_with_extras())


def test_variable_list_table_different_lengths() -> None:
    table = pa.table(
        {
            "filenames": ["a.png", "b.png"],
            "embedding": variable_list([[1.0, 2.0], [3.0]]),
            "labels": [0, 1],
        }
    )
    message = (
        "Column 'embedding' has lists of different lengths: row 0 has 2 values "
        "but row 1 has 1. Every vector needs the same number of dimensions."
    )

    with pytest.raises(EmbeddingFormatError, match=f"^{re.escape(message)}$"):
        from_arrow(table)


def test_variable_list_empty_table_uses_metadata(frame: pd.DataFrame) -> None:
    """Without rows, the metadata gives the number of dimensions."""
    table = to_arrow(frame.iloc[:0], layout="list")
    table = table.set_column(
        1, LIST_COLUMN, table.column(LIST_COLUMN).cast(pa.list_(pa.float32()))
    )

    result = from_arrow(table)

    assert result.columns.tolist() == frame.columns.tolist()
    assert len(result) == 0
    assert result.emb.to_numpy().dtype == np.float32


def test_variable_list_empty_table_without_metadata() -> None:
    table = pa.table(
        {
            "filenames": pa.array([], pa.string()),
            "embedding": variable_list([]),
            "labels": pa.array([], pa.int64()),
        }
    )
    message = (
        "Column 'embedding' is a variable-length list without rows and the "
        "table has no embedframe metadata, so the number of dimensions is "
        "unknown. Write it as a fixed-size list."
    )

    with pytest.raises(EmbeddingFormatError, match=f"^{re.escape(message)}$"):
        from_arrow(table)


def test_embedding_column_not_a_list() -> None:
    table = pa.table({"filenames": ["a.png"], "embedding": ["0.5 1.5"], "labels": [0]})
    message = (
        "Column 'embedding' has type string; expected a list of float or double "
        "with one vector per row, or columns embedding_0 .. embedding_<d-1> "
        "instead of it."
    )

    with pytest.raises(EmbeddingFormatError, match=f"^{re.escape(message)}$"):
        from_arrow(table)


def test_wide_table_keeps_user_list_column(frame: pd.DataFrame) -> None:
    """Next to embedding_<i> columns, a variable list is a user column."""
    tags = pa.array([["x"], [], ["y", "z"], ["w"], ["v"], []], pa.list_(pa.string()))
    table = to_arrow(frame).append_column("embedding", tags)

    result = from_arrow(table)

    assert result.columns.tolist() == [*frame.columns, "embedding"]
    assert result["embedding"].map(list).tolist() == tags.to_pylist()


@pytest.mark.parametrize("compression", ["none", None, "SNAPPY", "gzip", "zstd", "lz4"])
def test_write_compression_accepted(
    frame: pd.DataFrame, tmp_path: Path, compression: str | None
) -> None:
    path = tmp_path / "e.parquet"

    write_parquet(frame, path, compression=compression)

    codec = pq.ParquetFile(path).metadata.row_group(0).column(0).compression
    expected = "UNCOMPRESSED" if compression in ("none", None) else compression.upper()
    assert codec == expected
    assert_identical(read_parquet(path), frame)


@pytest.mark.parametrize("compression", ["bogus", "lzo", "bz2", "", 3])
def test_write_compression_rejected(
    frame: pd.DataFrame, tmp_path: Path, compression: Any
) -> None:
    """An unknown codec raises before any file is created."""
    path = tmp_path / "e.parquet"
    message = (
        f"compression must be one of 'brotli', 'gzip', 'lz4', 'lz4_raw', 'none', "
        f"'snappy', 'zstd' (got {compression!r})."
    )

    with pytest.raises(EmbeddingValueError, match=f"^{re.escape(message)}$"):
        write_parquet(frame, path, compression=compression)

    assert os.listdir(tmp_path) == []


# Reading files


@pytest.mark.parametrize(
    "content", [b"filenames,embedding_0,labels\na.png,1,0\n", b""], ids=["csv", "empty"]
)
def test_read_not_parquet(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "e.parquet"
    path.write_bytes(content)
    with pytest.raises(pa.ArrowInvalid) as arrow_error:
        pq.read_table(path)
    message = f"{path}: not a readable Parquet file: {arrow_error.value}"

    with pytest.raises(EmbeddingFormatError, match=f"^{re.escape(message)}$"):
        read_parquet(path)


def test_read_broken_footer(tmp_path: Path) -> None:
    """Magic bytes around a footer that does not decode are a format error."""
    path = tmp_path / "e.parquet"
    path.write_bytes(b"PAR1" + bytes(40) + (16).to_bytes(4, "little") + b"PAR1")
    with pytest.raises(OSError, match="deserialize") as arrow_error:
        pq.read_table(path)
    reason = str(arrow_error.value).strip()
    message = f"{path}: not a readable Parquet file: {reason}"

    with pytest.raises(EmbeddingFormatError, match=f"^{re.escape(message)}$"):
        read_parquet(path)


def test_read_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.parquet"
    message = f"[Errno {errno.ENOENT}] {os.strerror(errno.ENOENT)}: {str(path)!r}"

    with pytest.raises(FileNotFoundError, match=re.escape(message)):
        read_parquet(path)


def test_read_directory_rejected(frame: pd.DataFrame, tmp_path: Path) -> None:
    """A directory of Parquet files is not merged into one frame."""
    folder = tmp_path / "e.parquet"
    folder.mkdir()
    write_parquet(frame, folder / "part-0.parquet")
    write_parquet(frame, folder / "part-1.parquet")
    message = (
        f"{folder} is a directory; expected a Parquet file. Pass the path of one file."
    )

    with pytest.raises(EmbeddingFormatError, match=f"^{re.escape(message)}$"):
        read_parquet(folder)


def test_read_duplicates_located(tmp_path: Path) -> None:
    matrix = np.eye(3, dtype=np.float32)
    frame = embedframe.build_frame(matrix, ["a", "b", "a"], [0, 1, 2], validate=False)
    path = tmp_path / "e.parquet"
    write_parquet(frame, path, validate=False)
    message = (
        f"{path}: column 'filenames': row 2: duplicate file name 'a', first on row 0"
    )

    with pytest.raises(EmbeddingParseError, match=re.escape(message)):
        read_parquet(path)
    assert_identical(read_parquet(path, allow_duplicates=True), frame)


def test_read_nonfinite_located(tmp_path: Path) -> None:
    matrix = np.array([[1.0, np.nan], [np.inf, 2.0]], dtype=np.float32)
    frame = embedframe.build_frame(matrix, ["a", "b"], [0, 1], validate=False)
    path = tmp_path / "e.parquet"
    write_parquet(frame, path, layout="list", validate=False)
    message = (
        f"{path}: column 'embedding_0': row 1: expected a finite number, found inf\n"
        f"{path}: column 'embedding_1': row 0: expected a finite number, found nan"
    )

    with pytest.raises(EmbeddingParseError) as error:
        read_parquet(path)

    assert str(error.value) == message
    assert isinstance(error.value, RuntimeError)
    assert_identical(read_parquet(path, allow_nonfinite=True), frame)


# Writing


def test_to_arrow_unknown_layout(frame: pd.DataFrame) -> None:
    message = "layout must be 'wide' or 'list' (got 'tall')."

    with pytest.raises(EmbeddingValueError, match=re.escape(message)):
        to_arrow(frame, layout="tall")  # type: ignore[arg-type]


def test_to_arrow_float16_rejected(frame: pd.DataFrame) -> None:
    columns = [f"embedding_{i}" for i in range(4)]
    half = frame.astype(dict.fromkeys(columns, "float16"))
    message = "embedding columns must be float32 or float64 (got float16)."

    with pytest.raises(EmbeddingValueError, match=re.escape(message)):
        to_arrow(half)


def test_to_arrow_list_name_clash(frame: pd.DataFrame) -> None:
    """A user column named 'embedding' would replace the list column."""
    frame["embedding"] = pd.Series(["x"] * len(frame), dtype="str")
    message = (
        "layout='list' stores the vectors in a column named 'embedding', but the "
        "frame already has a user column with that name. Rename it or use "
        "layout='wide'."
    )

    with pytest.raises(EmbeddingValueError, match=re.escape(message)):
        to_arrow(frame, layout="list")
    assert_identical(from_arrow(to_arrow(frame, layout="wide")), frame)


def test_write_failure_keeps_old_file(
    frame: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails halfway leaves the previous file and no temp file."""
    path = tmp_path / "e.parquet"
    write_parquet(frame, path)
    before = path.read_bytes()

    def write_half(table: pa.Table, where: Any, **options: Any) -> None:
        where.write(b"PAR1 half a file")
        raise OSError("No space left on device")

    monkeypatch.setattr(pq, "write_table", write_half)
    other = make_embedding_frame(3, 2, seed=1)

    with pytest.raises(OSError, match="No space left on device"):
        write_parquet(other, path, layout="list")

    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["e.parquet"]


def test_write_failure_creates_nothing(
    frame: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def write_half(table: pa.Table, where: Any, **options: Any) -> None:
        where.write(b"PAR1")
        raise OSError("No space left on device")

    monkeypatch.setattr(pq, "write_table", write_half)

    with pytest.raises(OSError, match="No space left on device"):
        write_parquet(frame, tmp_path / "e.parquet")

    assert os.listdir(tmp_path) == []


# df.attrs


def test_attrs_untouched(frame: pd.DataFrame, tmp_path: Path) -> None:
    """attrs neither change nor reach the file, and read frames have none."""
    frame.attrs["model"] = {"name": "resnet", "epoch": 3}
    before = {"model": {"name": "resnet", "epoch": 3}}
    path = tmp_path / "e.parquet"

    embedframe.validate(frame)
    table = to_arrow(frame, layout="list")
    write_parquet(frame, path)
    from_table = from_arrow(table)
    from_file = read_parquet(path)

    assert frame.attrs == before
    assert set(table.schema.metadata) == {METADATA_KEY}
    assert set(pq.read_schema(path).metadata) == {METADATA_KEY}
    assert from_table.attrs == {}
    assert from_file.attrs == {}


def test_pandas_parquet_after_validation(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame.attrs["source"] = "model-a"
    path = tmp_path / "pandas.parquet"

    frame.to_parquet(path)
    embedframe.validate(frame)
    frame.to_parquet(path)

    assert frame.attrs == {"source": "model-a"}
    assert_identical(read_parquet(path), frame)


# Other readers


def duckdb_string(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


@pytest.mark.parametrize(
    ("dtype", "sql_type"), [("float32", "FLOAT"), ("float64", "DOUBLE")]
)
def test_duckdb_reads_list_layout(dtype: str, sql_type: str, tmp_path: Path) -> None:
    """DuckDB reads the same numbers, as a list it can cast to a fixed ARRAY.

    Parquet has no fixed-size list type, so DuckDB 2.0 reads a plain list, and
    only the cast to FLOAT[d] or DOUBLE[d] gives the ARRAY type.
    """
    frame = make_embedding_frame(6, 3, dtype=dtype)
    path = tmp_path / "e.parquet"
    write_parquet(frame, path, layout="list")
    source = duckdb_string(path)

    listed = duckdb.sql(
        f"SELECT filenames, embedding, labels FROM read_parquet({source})"
    )
    arrays = duckdb.sql(
        f"SELECT CAST(embedding AS {sql_type}[3]) AS embedding "
        f"FROM read_parquet({source})"
    )
    rows = listed.fetchall()
    vectors = np.array([row[1] for row in rows], dtype=dtype)

    assert [str(t) for t in listed.types] == ["VARCHAR", f"{sql_type}[]", "BIGINT"]
    assert [str(t) for t in arrays.types] == [f"{sql_type}[3]"]
    assert [row[0] for row in rows] == frame["filenames"].tolist()
    assert [row[2] for row in rows] == frame["labels"].tolist()
    np.testing.assert_array_equal(
        vectors.view(BITS[vectors.dtype]), embedding_bits(frame)
    )
    assert [list(row[0]) for row in arrays.fetchall()] == [row[1] for row in rows]


@pytest.mark.parametrize("dtype", DTYPES)
def test_duckdb_copy_reads_back(dtype: str, tmp_path: Path) -> None:
    """A list file rewritten by DuckDB, as variable-length lists, reads back.

    DuckDB 2.0 writes the vectors as list<float> or list<double> and drops
    the embedframe metadata, so this reads the variable-length list path.
    """
    frame = frame_with_extras(dtype)
    source = tmp_path / "e.parquet"
    copied = tmp_path / "duckdb.parquet"
    write_parquet(frame, source, layout="list")
    connection = duckdb.connect()

    connection.execute(
        f"COPY (SELECT * FROM read_parquet({duckdb_string(source)})) "
        f"TO {duckdb_string(copied)} (FORMAT parquet)"
    )
    connection.close()
    copied_type = pq.read_schema(copied).field(LIST_COLUMN).type
    result = read_parquet(copied)

    assert pa.types.is_list(copied_type)
    assert METADATA_KEY not in (pq.read_schema(copied).metadata or {})
    assert_identical(result, frame)


@pytest.mark.parametrize(
    ("dtype", "polars_type"), [("float32", pl.Float32), ("float64", pl.Float64)]
)
def test_polars_reads_list_layout(dtype: str, polars_type: Any, tmp_path: Path) -> None:
    frame = make_embedding_frame(6, 3, dtype=dtype)
    path = tmp_path / "e.parquet"
    write_parquet(frame, path, layout="list")

    result = pl.read_parquet(path)
    vectors = result["embedding"].to_numpy()

    assert result.schema["embedding"] == pl.Array(polars_type, 3)
    assert result["filenames"].to_list() == frame["filenames"].tolist()
    assert result["labels"].to_list() == frame["labels"].tolist()
    assert vectors.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(
        vectors.view(BITS[vectors.dtype]), embedding_bits(frame)
    )


# Golden files


@pytest.mark.parametrize("layout", LAYOUTS)
def test_golden_file_reads(layout: str) -> None:
    """Files written by format version 1 still read into the same frame."""
    path = golden_path(1, layout)

    result = read_parquet(path)

    assert_identical(result, golden_frame())


@pytest.mark.parametrize("layout", LAYOUTS)
def test_golden_file_entry(layout: str) -> None:
    path = golden_path(1, layout)
    expected = {
        "version": 1,
        "layout": layout,
        "dim": 3,
        "dtype": "float32",
        "columns": [
            "filenames",
            "embedding_0",
            "embedding_1",
            "embedding_2",
            "masked",
            "labels",
            "note",
        ],
    }

    entry = entry_of(pq.read_table(path))

    assert entry.pop("creator")["library"] == "embedframe"
    assert entry == expected


@pytest.mark.parametrize("layout", LAYOUTS)
def test_golden_file_matches_writer(layout: str) -> None:
    """The current writer produces the same table as the newest golden file.

    A failure means the format changed: raise METADATA_VERSION and add golden
    files for the new version with tests/data/make_golden.py.
    """
    golden = pq.read_table(golden_path(METADATA_VERSION, layout))
    written = to_arrow(golden_frame(), layout=layout)  # type: ignore[arg-type]
    golden_entry = entry_of(golden)
    written_entry = entry_of(written)
    del golden_entry["creator"]
    del written_entry["creator"]

    assert written.schema.names == golden.schema.names
    assert written_entry == golden_entry
    assert written.cast(golden.schema).equals(golden)
