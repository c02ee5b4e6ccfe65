"""The lightly.utils.io drop-in, checked against lightly 1.6.0 itself."""

from __future__ import annotations

import inspect
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightly.utils.io as lightly_io
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from strategies import embedding_frames

from embedframe import io

NAMES = [
    "check_embeddings",
    "format_custom_metadata",
    "load_embeddings",
    "load_embeddings_as_dict",
    "save_custom_metadata",
    "save_embeddings",
    "save_schema",
    "save_tasks",
]
LOADERS = [io.check_embeddings, io.load_embeddings, io.load_embeddings_as_dict]
#: Unsigned integer type with the width of each float type, to compare bits.
BITS = {np.dtype("float32"): np.uint32, np.dtype("float64"): np.uint64}


def bits(matrix: np.ndarray) -> np.ndarray:
    """Return a float matrix as raw bits, so -0.0 differs from 0.0."""
    return matrix.view(BITS[matrix.dtype])


def write(folder: Path, text: str, name: str = "e.csv") -> str:
    """Write a CSV file and return its path as lightly's functions take it."""
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return str(path)


def columns_of(frame: pd.DataFrame) -> tuple[np.ndarray, list[int], list[str]]:
    """Return a frame's embeddings, labels and file names as lightly's types."""
    matrix = frame.emb.to_numpy()
    labels = [int(label) for label in frame["labels"]]
    filenames = frame["filenames"].tolist()
    return matrix, labels, filenames


# Signatures and return types


@pytest.mark.parametrize("name", NAMES)
def test_signature_matches_lightly(name: str) -> None:
    ours = inspect.signature(getattr(io, name)).parameters.values()
    theirs = inspect.signature(getattr(lightly_io, name)).parameters.values()

    assert [p.name for p in ours] == [p.name for p in theirs]
    assert [p.default for p in ours] == [p.default for p in theirs]
    assert [p.kind for p in ours] == [p.kind for p in theirs]


def test_load_return_types(tmp_path: Path) -> None:
    path = write(tmp_path, "filenames,embedding_0,embedding_1,labels\na.png,0.5,1,7\n")

    embeddings, labels, filenames = io.load_embeddings(path)

    assert type(embeddings) is np.ndarray
    assert embeddings.dtype == np.float64
    assert embeddings.shape == (1, 2)
    assert type(labels) is list
    assert [type(label) for label in labels] == [int]
    assert type(filenames) is list
    assert [type(name) for name in filenames] == [str]


def test_load_header_only(tmp_path: Path) -> None:
    """A file without rows gives a (0, d) array, where lightly gives (0,)."""
    path = write(tmp_path, "filenames,embedding_0,embedding_1,labels\n")

    embeddings, labels, filenames = io.load_embeddings(path)
    lightly_embeddings, _, _ = lightly_io.load_embeddings(path)

    assert embeddings.shape == (0, 2)
    assert embeddings.dtype == np.float64
    assert labels == []
    assert filenames == []
    assert lightly_embeddings.shape == (0,)


# Files in both directions


@given(frame=embedding_frames())
def test_lightly_files_load_identically(
    frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Files lightly's save_embeddings writes load with lightly's values."""
    assume(len(frame) > 0)
    matrix, labels, filenames = columns_of(frame)
    path = str(tmp_path_factory.mktemp("lightly") / "e.csv")
    lightly_io.save_embeddings(path, matrix, labels, filenames)

    embeddings, loaded_labels, loaded_names = io.load_embeddings(path)
    expected, expected_labels, expected_names = lightly_io.load_embeddings(path)

    np.testing.assert_array_equal(bits(embeddings), bits(expected))
    assert loaded_labels == expected_labels == labels
    assert loaded_names == expected_names == filenames


@given(frame=embedding_frames())
def test_saved_files_pass_lightly(
    frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """lightly accepts our files and reads the saved values back.

    float64 comes back bit for bit. float32 is written as the shortest text
    for float32, which lightly parses as float64, so its values are exact
    once rounded back to float32.
    """
    assume(len(frame) > 0)
    matrix, labels, filenames = columns_of(frame)
    path = str(tmp_path_factory.mktemp("ours") / "e.csv")
    io.save_embeddings(path, matrix, labels, filenames)

    lightly_io.check_embeddings(path)
    embeddings, loaded_labels, loaded_names = lightly_io.load_embeddings(path)

    assert embeddings.dtype == np.float64
    np.testing.assert_array_equal(bits(embeddings.astype(matrix.dtype)), bits(matrix))
    assert loaded_labels == labels
    assert loaded_names == filenames


@given(frame=embedding_frames(dtypes=("float64",)))
def test_save_load_float64_exact(
    frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> None:
    matrix, labels, filenames = columns_of(frame)
    path = str(tmp_path_factory.mktemp("float64") / "e.csv")

    io.save_embeddings(path, matrix, labels, filenames)
    embeddings, loaded_labels, loaded_names = io.load_embeddings(path)

    np.testing.assert_array_equal(bits(embeddings), bits(matrix))
    assert loaded_labels == labels
    assert loaded_names == filenames


# lightly's bugs, fixed


def test_extra_columns_stay_out(tmp_path: Path) -> None:
    """masked before labels and a column after labels keep their roles.

    lightly slices by position, so masked ends up in the vectors and the
    last column, here 'note', becomes the labels.
    """
    path = write(
        tmp_path,
        "filenames,embedding_0,embedding_1,masked,labels,note\n"
        "a.png,0.5,1.5,1,3,70\n"
        "b.png,-2,0.25,0,4,80\n",
    )

    embeddings, labels, filenames = io.load_embeddings(path)
    wrong, wrong_labels, _ = lightly_io.load_embeddings(path)

    np.testing.assert_array_equal(embeddings, [[0.5, 1.5], [-2.0, 0.25]])
    assert labels == [3, 4]
    assert filenames == ["a.png", "b.png"]
    np.testing.assert_array_equal(wrong, [[0.5, 1.5, 1.0, 3.0], [-2.0, 0.25, 0.0, 4.0]])
    assert wrong_labels == [70, 80]


def test_load_columns_by_name(tmp_path: Path) -> None:
    """Column order in the file does not change the vectors."""
    path = write(
        tmp_path,
        "labels,embedding_1,filenames,embedding_0\n3,1.5,a.png,0.5\n",
    )

    embeddings, labels, filenames = io.load_embeddings(path)

    np.testing.assert_array_equal(embeddings, [[0.5, 1.5]])
    assert labels == [3]
    assert filenames == ["a.png"]


REMOVE_INPUT = (
    "filenames,embedding_0,embedding_1,masked,labels,labels_v2,embedding_1_old\n"
    'a.png,0.50,1e0,1,3,9,7.5\n"b,c.png",-0.0,2.25,0,4,8,6\n'
)


def test_remove_additional_columns(tmp_path: Path) -> None:
    """Only filenames, embedding_<n> and labels stay.

    lightly keeps every column whose name starts with one of the three, such
    as labels_v2 and embedding_1_old. Numbers are respelled as the shortest
    text for float64.
    """
    path = write(tmp_path, REMOVE_INPUT, "ours.csv")
    lightly_path = write(tmp_path, REMOVE_INPUT, "lightly.csv")

    io.check_embeddings(path, remove_additional_columns=True)
    lightly_io.check_embeddings(lightly_path, remove_additional_columns=True)

    assert Path(path).read_bytes() == (
        b'filenames,embedding_0,embedding_1,labels\na.png,0.5,1,3\n"b,c.png",-0,2.25,4\n'
    )
    assert Path(lightly_path).read_text().splitlines()[0] == (
        "filenames,embedding_0,embedding_1,labels,labels_v2,embedding_1_old"
    )


def test_remove_keeps_values(tmp_path: Path) -> None:
    path = write(tmp_path, REMOVE_INPUT)

    before = io.load_embeddings(path)
    io.check_embeddings(path, remove_additional_columns=True)
    after = io.load_embeddings(path)

    np.testing.assert_array_equal(bits(after[0]), bits(before[0]))
    assert after[1:] == before[1:]


def test_remove_failure_keeps_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rewrite that fails before the rename leaves the old file as it was."""
    path = write(tmp_path, REMOVE_INPUT)

    def fail(descriptor: int) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(os, "fsync", fail)

    with pytest.raises(OSError, match="No space left on device"):
        io.check_embeddings(path, remove_additional_columns=True)

    assert Path(path).read_text(encoding="utf-8") == REMOVE_INPUT
    assert os.listdir(tmp_path) == ["e.csv"]


def test_save_failure_keeps_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, REMOVE_INPUT)

    def fail(descriptor: int) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(os, "fsync", fail)

    with pytest.raises(OSError, match="No space left on device"):
        io.save_embeddings(path, np.zeros((1, 2)), [0], ["x.png"])

    assert Path(path).read_text(encoding="utf-8") == REMOVE_INPUT
    assert os.listdir(tmp_path) == ["e.csv"]


# load_embeddings_as_dict


def test_as_dict_payload(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "filenames,embedding_0,embedding_1,labels\na.png,0.5,-1.25,3\nb.png,2,0,1\n",
    )
    expected = {
        "embeddingName": "run-1",
        "embeddings": [
            {"fileName": "a.png", "value": [0.5, -1.25], "label": 3},
            {"fileName": "b.png", "value": [2.0, 0.0], "label": 1},
        ],
    }

    payload = io.load_embeddings_as_dict(path, embedding_name="run-1")

    assert payload == expected
    assert payload == lightly_io.load_embeddings_as_dict(path, "run-1")
    assert json.loads(json.dumps(payload, allow_nan=False)) == expected


def test_as_dict_return_all(tmp_path: Path) -> None:
    path = write(tmp_path, "filenames,embedding_0,labels\na.png,0.5,3\n")

    payload, embeddings, labels, filenames = io.load_embeddings_as_dict(
        path, return_all=True
    )

    assert payload == {
        "embeddingName": "default",
        "embeddings": [{"fileName": "a.png", "value": [0.5], "label": 3}],
    }
    np.testing.assert_array_equal(embeddings, [[0.5]])
    assert embeddings.dtype == np.float64
    assert labels == [3]
    assert filenames == ["a.png"]


def test_as_dict_nan_rejected(tmp_path: Path) -> None:
    """A NaN raises RuntimeError, while lightly returns invalid JSON."""
    path = write(tmp_path, "filenames,embedding_0,labels\na.png,nan,3\n")
    message = f"{path}:2: column 'embedding_0': expected a finite number, found nan"
    lightly_payload = lightly_io.load_embeddings_as_dict(path)

    with pytest.raises(RuntimeError, match=re.escape(message)):
        io.load_embeddings_as_dict(path)
    with pytest.raises(ValueError, match="Out of range float values"):
        json.dumps(lightly_payload, allow_nan=False)


# Format errors: RuntimeError with every problem located


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "labels,filenames,embedding_0\n0,a.png,1\n",
            ["1: the first column must be 'filenames', found 'labels'"],
        ),
        (
            "filenames,embedding_0,note,labels\na.png,1,x,0\n",
            [
                "1: column 'note': only embedding_<n>, masked and selected columns "
                "may come between 'filenames' and 'labels'; move this column after "
                "'labels'"
            ],
        ),
        (
            "filenames, embedding_0,labels\na.png,1,0\n",
            [
                "1: column ' embedding_0': the name has leading or trailing whitespace",
                "1: missing embedding columns; expected embedding_0 .. embedding_<d-1>",
            ],
        ),
        (
            "filenames,embedding_0\na.png,1\n",
            ["1: missing required column 'labels'"],
        ),
        (
            "",
            ["1: the file is empty; expected a header line starting with 'filenames'"],
        ),
        (
            "filenames,embedding_0,labels\na.png,x,0\nb.png,,1.5\n",
            [
                "2: column 'embedding_0': expected a number, found 'x'",
                "3: column 'embedding_0': missing value; expected a number",
                "3: column 'labels': expected an integer, found '1.5'",
            ],
        ),
        (
            "filenames,embedding_0,labels\na.png,1,0\na.png,2,1\n",
            ["3: column 'filenames': duplicate file name 'a.png', first on line 2"],
        ),
        (
            "filenames,embedding_0,labels\na.png,1,0\n\nb.png,2,1\n",
            ["3: blank line inside the data; remove it"],
        ),
    ],
    ids=[
        "first-column",
        "column-order",
        "whitespace",
        "no-labels",
        "empty",
        "values",
        "duplicate",
        "blank-line",
    ],
)
def test_check_format_errors(tmp_path: Path, text: str, problems: list[str]) -> None:
    path = write(tmp_path, text)
    message = "\n".join(f"{path}:{problem}" for problem in problems)

    with pytest.raises(RuntimeError, match=f"^{re.escape(message)}$"):
        io.check_embeddings(path)


@pytest.mark.parametrize("load", LOADERS, ids=lambda f: f.__name__)
def test_loaders_raise_runtime_error(tmp_path: Path, load: Callable[..., Any]) -> None:
    path = write(tmp_path, "filenames,embedding_0,labels\na.png,inf,0\n")
    message = f"{path}:2: column 'embedding_0': expected a finite number, found inf"

    with pytest.raises(RuntimeError, match=f"^{re.escape(message)}$"):
        load(path)


@pytest.mark.parametrize("load", LOADERS, ids=lambda f: f.__name__)
def test_loaders_missing_file(tmp_path: Path, load: Callable[..., Any]) -> None:
    """A missing file raises FileNotFoundError, as in lightly."""
    path = str(tmp_path / "missing.csv")

    with pytest.raises(FileNotFoundError, match=re.escape(repr(path))):
        load(path)
    with pytest.raises(FileNotFoundError):
        getattr(lightly_io, load.__name__)(path)


# save_embeddings: ValueError


def test_save_length_mismatch(tmp_path: Path) -> None:
    path = str(tmp_path / "e.csv")
    message = (
        "Length of embeddings, labels, and filenames should be equal but are "
        "not: (3, 2, 3)."
    )

    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        io.save_embeddings(path, np.zeros((3, 2)), [0, 1, 2], ["a", "b"])
    with pytest.raises(ValueError, match="should be equal"):
        lightly_io.save_embeddings(path, np.zeros((3, 2)), [0, 1, 2], ["a", "b"])
    assert not Path(path).exists()


@pytest.mark.parametrize(
    ("embeddings", "labels", "filenames", "message"),
    [
        (
            np.zeros(2),
            [0, 1],
            ["a", "b"],
            "embeddings must be a 2-D array of shape (n, d) (got shape (2,)).",
        ),
        (
            np.zeros((2, 1)),
            [0.5, 1.0],
            ["a", "b"],
            "labels must be integers (got dtype float64 with values such as "
            "[0.5, 1.0]).",
        ),
        (
            np.zeros((2, 1)),
            [0, 1],
            ["a", "a"],
            "The embeddings cannot be saved: embeddings: column 'filenames': "
            "row 1: duplicate file name 'a', first on row 0.",
        ),
        (
            np.array([[1.0], [np.nan]]),
            [0, 1],
            ["a", "b"],
            "The embeddings cannot be saved: embeddings: column 'embedding_0': "
            "row 1: expected a finite number, found nan.",
        ),
    ],
    ids=["one-dimensional", "float-labels", "duplicates", "nan"],
)
def test_save_value_errors(
    tmp_path: Path,
    embeddings: np.ndarray,
    labels: list[Any],
    filenames: list[str],
    message: str,
) -> None:
    path = tmp_path / "e.csv"

    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        io.save_embeddings(str(path), embeddings, labels, filenames)
    assert not path.exists()


def test_save_text(tmp_path: Path) -> None:
    """Values are written as the shortest text for their dtype."""
    path = tmp_path / "e.csv"
    matrix = np.array([[0.1, -0.0], [1e-300, 2.0]], dtype=np.float64)

    io.save_embeddings(str(path), matrix, [1, -2], ["a.png", 'q"uote.png'])

    assert path.read_text(encoding="utf-8") == (
        "filenames,embedding_0,embedding_1,labels\n"
        "a.png,0.1,-0,1\n"
        '"q""uote.png",1e-300,2,-2\n'
    )


# save_schema and save_tasks


def test_save_schema_json(tmp_path: Path) -> None:
    ours = tmp_path / "ours.json"
    theirs = tmp_path / "lightly.json"
    arguments = ("classification", [0, 1], ["cat", "dog"])

    io.save_schema(str(ours), *arguments)
    lightly_io.save_schema(str(theirs), *arguments)

    assert ours.read_text() == (
        '{"task_type": "classification", "categories": '
        '[{"id": 0, "name": "cat"}, {"id": 1, "name": "dog"}]}'
    )
    assert ours.read_bytes() == theirs.read_bytes()


def test_save_schema_duplicate_ids(tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    message = "ids must be unique; repeated: [1, 3]."

    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        io.save_schema(str(path), "classification", [1, 1, 3, 2, 3], list("abcde"))
    assert not path.exists()


def test_save_schema_length_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    message = "ids and names must have the same length (got 2 ids and 1 names)."

    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        io.save_schema(str(path), "classification", [0, 1], ["cat"])
    with pytest.raises(ValueError, match="same length"):
        lightly_io.save_schema(str(path), "classification", [0, 1], ["cat"])


def test_save_tasks_json(tmp_path: Path) -> None:
    ours = tmp_path / "ours.json"
    theirs = tmp_path / "lightly.json"
    tasks = ["weather", "pedestrians", "ünïcode"]

    io.save_tasks(str(ours), tasks)
    lightly_io.save_tasks(str(theirs), tasks)

    assert ours.read_text() == '["weather", "pedestrians", "\\u00fcn\\u00efcode"]'
    assert ours.read_bytes() == theirs.read_bytes()


# Custom metadata

METADATA = [
    ("hello.png", {"number_of_people": 1, "weather": "sunny"}),
    ("dir/world.png", {"number_of_people": 3, "tags": ["a", "ü"], "score": 0.5}),
    ("empty.png", {}),
    ("nested.png", {"box": {"x": 1, "y": None}, 7: True}),
]


def test_public_names_match_lightly() -> None:
    """Every public name of lightly.utils.io exists in embedframe.io."""
    theirs = {
        name
        for name, value in vars(lightly_io).items()
        if not name.startswith("_")
        and getattr(value, "__module__", None) == lightly_io.__name__
    }

    assert theirs <= set(io.__all__)


def test_coco_keys_match_lightly() -> None:
    names = [
        "images",
        "images_id",
        "images_filename",
        "custom_metadata",
        "custom_metadata_image_id",
    ]

    for name in names:
        assert getattr(io.COCO_ANNOTATION_KEYS, name) == getattr(
            lightly_io.COCO_ANNOTATION_KEYS, name
        )


@pytest.mark.parametrize(
    "custom_metadata", [METADATA, [], [tuple(pair) for pair in METADATA]]
)
def test_format_custom_metadata_matches_lightly(
    custom_metadata: list[tuple[str, Any]],
) -> None:
    result = io.format_custom_metadata(custom_metadata)

    assert result == lightly_io.format_custom_metadata(custom_metadata)


def test_format_custom_metadata_values() -> None:
    result = io.format_custom_metadata(METADATA[:2])

    assert result == {
        "images": [
            {"id": 0, "file_name": "hello.png"},
            {"id": 1, "file_name": "dir/world.png"},
        ],
        "metadata": [
            {"image_id": 0, "number_of_people": 1, "weather": "sunny"},
            {"image_id": 1, "number_of_people": 3, "tags": ["a", "ü"], "score": 0.5},
        ],
    }


def test_format_custom_metadata_leaves_input() -> None:
    metadata = {"weather": "rain"}

    io.format_custom_metadata([("a.png", metadata)])

    assert metadata == {"weather": "rain"}


def test_save_custom_metadata_matches_lightly(tmp_path: Path) -> None:
    ours = tmp_path / "ours.json"
    theirs = tmp_path / "lightly.json"

    io.save_custom_metadata(str(ours), METADATA)
    lightly_io.save_custom_metadata(str(theirs), METADATA)

    assert ours.read_bytes() == theirs.read_bytes()
    assert json.loads(ours.read_text())["metadata"][3] == {
        "image_id": 3,
        "box": {"x": 1, "y": None},
        "7": True,
    }


@pytest.mark.parametrize(
    ("custom_metadata", "message"),
    [
        (
            {"a.png": {"x": 1}},
            "custom_metadata must be a list of (filename, metadata) pairs (got dict).",
        ),
        (
            "a.png",
            "custom_metadata must be a list of (filename, metadata) pairs (got str).",
        ),
        (
            [("a.png", {"x": 1}), ("b.png",)],
            "custom_metadata[1] must be a (filename, metadata) pair (got ('b.png',)).",
        ),
        (
            [(None, {"x": 1})],
            "custom_metadata[0] has file name None; file names must be strings.",
        ),
        (
            [("a.png", {}), (Path("b.png"), {})],
            "custom_metadata[1] has file name PosixPath('b.png'); file names "
            "must be strings.",
        ),
        (
            [("a.png", [("x", 1)])],
            "custom_metadata[0] ('a.png') has metadata of type list; expected a dict.",
        ),
        (
            [("a.png", None)],
            "custom_metadata[0] ('a.png') has metadata of type NoneType; "
            "expected a dict.",
        ),
        (
            [("a.png", {}), ("b.png", {"image_id": 9})],
            "custom_metadata[1] ('b.png') has the key 'image_id', which would "
            "replace the image id. Rename the key.",
        ),
    ],
    ids=[
        "dict",
        "string",
        "not-a-pair",
        "none-filename",
        "path-filename",
        "list-metadata",
        "none-metadata",
        "image-id-key",
    ],
)
def test_custom_metadata_malformed(
    tmp_path: Path, custom_metadata: Any, message: str
) -> None:
    """Malformed input raises a ValueError naming the entry; nothing is written."""
    path = tmp_path / "metadata.json"

    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        io.format_custom_metadata(custom_metadata)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        io.save_custom_metadata(str(path), custom_metadata)

    assert not path.exists()


@pytest.mark.parametrize(
    "value", [float("nan"), float("-inf"), np.int64(3)], ids=["nan", "inf", "numpy-int"]
)
def test_save_custom_metadata_not_json(tmp_path: Path, value: Any) -> None:
    """A value JSON rejects is named by entry, and the old file is kept."""
    path = tmp_path / "metadata.json"
    path.write_text("old")
    custom_metadata = [("a.png", {"x": 1}), ("b.png", {"x": value})]
    with pytest.raises((TypeError, ValueError)) as json_error:
        json.dumps(value, allow_nan=False)
    reason = str(json_error.value)
    message = (
        f"custom_metadata[1] ('b.png') cannot be written as JSON: {reason}. Use "
        f"strings, numbers without NaN or infinity, booleans, None, lists and "
        f"dicts."
    )

    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        io.save_custom_metadata(str(path), custom_metadata)

    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["metadata.json"]
