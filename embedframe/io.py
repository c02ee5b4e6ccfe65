"""Drop-in replacement for ``lightly.utils.io``.

Same names, signatures, return types and exception types as lightly 1.6.0,
so ``from lightly.utils import io`` can become ``from embedframe import io``.
The differences are bug fixes:

* Columns are found by name. lightly takes the first column as file names,
  the last as labels and everything between as the vector, so a ``masked``
  column or a column after ``labels`` ended up in the embeddings.
* :func:`check_embeddings` reads the whole file, not just the header, and
  reports every problem with its line and column.
* ``remove_additional_columns=True`` keeps exactly ``filenames``,
  ``embedding_<n>`` and ``labels`` (lightly kept any name that starts with
  one of them, such as ``labels_v2``) and rewrites the file atomically.
* Duplicate file names and NaN or infinite values are errors, so
  :func:`load_embeddings_as_dict` never returns a payload that
  ``json.dumps(..., allow_nan=False)`` rejects.
* Writes are atomic, and :func:`save_embeddings` writes each float as the
  shortest text that reads back to the same value.
* :func:`format_custom_metadata` rejects input that lightly turns into a
  wrong file or a late error: a file name that is not a string, metadata
  that is not a dict, and an ``image_id`` key, which lightly let overwrite
  the image id. :func:`save_custom_metadata` rejects NaN and infinity,
  which lightly wrote as invalid JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandera.errors

from embedframe._atomic import atomic_write
from embedframe._frame import build_frame, schema_problems
from embedframe._layout import (
    EMBEDDING_PATTERN,
    FILENAMES,
    KNOWN_EXTRAS,
    LABELS,
    header_problems,
    resolve_layout,
)
from embedframe.errors import EmbeddingParseError, EmbeddingValueError, Problem
from embedframe.formats.csv import read_csv, read_header, write_csv
from embedframe.schema import FloatDtype

__all__ = [
    "COCO_ANNOTATION_KEYS",
    "check_embeddings",
    "format_custom_metadata",
    "load_embeddings",
    "load_embeddings_as_dict",
    "save_custom_metadata",
    "save_embeddings",
    "save_schema",
    "save_tasks",
]


def check_embeddings(path: str, remove_additional_columns: bool = False) -> None:
    r"""Raise an error if an embedding CSV file is not in the Lightly format.

    Use this check before uploading embeddings to the Lightly Platform. On
    top of lightly's header rules (``filenames`` first, then only
    ``embedding_<n>``, ``masked`` or ``selected`` columns up to ``labels``),
    every data line is checked: field counts, numbers, integer labels, finite
    values, unique file names and no blank lines inside the data.

    Parameters
    ----------
    path : str
        Path to the embedding CSV file.
    remove_additional_columns : bool, default False
        If True, rewrite the file with only ``filenames``, the
        ``embedding_<n>`` columns and ``labels``. The rewrite is atomic and
        keeps every value exactly, though numbers may be respelled, for
        example ``1.50`` as ``1.5``.

    Raises
    ------
    RuntimeError
        An :class:`embedframe.EmbeddingParseError` listing every problem with
        its line and column.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "e.csv"
    >>> _ = path.write_text("filenames,embedding_0,labels,note\na.png,0.5,1,x\n")
    >>> check_embeddings(str(path), remove_additional_columns=True)
    >>> print(path.read_text(), end="")
    filenames,embedding_0,labels
    a.png,0.5,1
    """
    names, _ = read_header(path)
    # Report the format's header rules and lightly's column order together,
    # but skip the order rule for a name the format rules already reject.
    problems = header_problems(names)
    rejected = {problem.column for problem in problems if problem.column}
    problems += [
        problem
        for problem in _lightly_header_problems(names)
        if problem.column not in rejected
    ]
    if problems:
        raise EmbeddingParseError(path, problems)
    if not remove_additional_columns:
        read_csv(path, dtype="float64")
        return

    frame = read_csv(path, dtype="float64")
    layout = resolve_layout([str(name) for name in frame.columns])
    write_csv(frame[[FILENAMES, *layout.embeddings, LABELS]], path)


def _lightly_header_problems(names: list[str]) -> list[Problem]:
    """Return the problems with column order that the Lightly Platform needs."""
    if not names or names[0] != FILENAMES:
        found = repr(names[0]) if names else "nothing"
        return [
            Problem(1, None, f"the first column must be 'filenames', found {found}")
        ]
    if LABELS not in names:
        return []  # read_csv reports the missing column
    problems = []
    for name in names[1 : names.index(LABELS)]:
        if not EMBEDDING_PATTERN.fullmatch(name) and name not in KNOWN_EXTRAS:
            problems.append(
                Problem(
                    1,
                    name,
                    "only embedding_<n>, masked and selected columns may come "
                    "between 'filenames' and 'labels'; move this column after "
                    "'labels'",
                )
            )
    return problems


def load_embeddings(
    path: str,
) -> tuple[npt.NDArray[np.float64], list[int], list[str]]:
    r"""Load embeddings from a CSV file in the Lightly format.

    Parameters
    ----------
    path : str
        Path to the CSV file.

    Returns
    -------
    embeddings : numpy.ndarray of float64, shape (n, d)
        The vectors, in file order. lightly's documentation says float32, but
        lightly returns float64, and so does this function.
    labels : list of int
        One label per row.
    filenames : list of str
        One file name per row.

    Raises
    ------
    RuntimeError
        An :class:`embedframe.EmbeddingParseError` listing every problem with
        its line and column.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "e.csv"
    >>> _ = path.write_text("filenames,embedding_0,labels\na.png,0.5,1\n")
    >>> load_embeddings(str(path))
    (array([[0.5]]), [1], ['a.png'])
    """
    frame = read_csv(path, dtype="float64")
    layout = resolve_layout([str(name) for name in frame.columns])
    embeddings = frame[list(layout.embeddings)].to_numpy(dtype=np.float64)
    labels = [int(label) for label in frame[LABELS].to_numpy()]
    filenames = [str(name) for name in frame[FILENAMES]]
    return embeddings, labels, filenames


def load_embeddings_as_dict(
    path: str, embedding_name: str = "default", return_all: bool = False
) -> Any | tuple[Any, npt.NDArray[np.float64], list[int], list[str]]:
    r"""Load embeddings into a dictionary ready to serialise and upload.

    Give every upload its own ``embedding_name``: the Lightly web app does
    not accept two embeddings with the same name.

    Parameters
    ----------
    path : str
        Path to the CSV file.
    embedding_name : str, default 'default'
        Name of the embedding on the platform.
    return_all : bool, default False
        Also return the embeddings, labels and file names.

    Returns
    -------
    dict or tuple
        ``{"embeddingName": ..., "embeddings": [{"fileName", "value",
        "label"}, ...]}``, followed by the values of :func:`load_embeddings`
        when ``return_all`` is True. The payload never contains NaN or infinity.

    Raises
    ------
    RuntimeError
        An :class:`embedframe.EmbeddingParseError` if the file is invalid.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "e.csv"
    >>> _ = path.write_text("filenames,embedding_0,labels\na.png,0.5,1\n")
    >>> load_embeddings_as_dict(str(path), embedding_name="run-1")
    {'embeddingName': 'run-1', 'embeddings': [{'fileName': 'a.png', 'value': [0.5], 'label': 1}]}
    """  # noqa: E501
    embeddings, labels, filenames = load_embeddings(path)
    data = {
        "embeddingName": embedding_name,
        "embeddings": [
            {"fileName": filename, "value": vector, "label": label}
            for filename, vector, label in zip(
                filenames, embeddings.tolist(), labels, strict=True
            )
        ],
    }
    if return_all:
        return data, embeddings, labels, filenames
    return data


def save_embeddings(
    path: str,
    embeddings: npt.NDArray[np.float64],
    labels: list[int],
    filenames: list[str],
) -> None:
    """Save embeddings as a CSV file in the Lightly format, atomically.

    float64 and float32 arrays keep their precision: each value is written as
    the shortest text that reads back to the same value.

    Parameters
    ----------
    path : str
        Path to the CSV file.
    embeddings : numpy.ndarray, shape (n, d)
        The vectors.
    labels : list of int
        One integer label per row.
    filenames : list of str
        One file name per row.

    Raises
    ------
    ValueError
        If embeddings, labels and filenames have different lengths, labels are
        not integers, or the data breaks the format (an
        :class:`embedframe.EmbeddingValueError` naming the problem).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "e.csv"
    >>> save_embeddings(str(path), np.array([[0.25, 1.0]]), [4], ["a.png"])
    >>> print(path.read_text(), end="")
    filenames,embedding_0,embedding_1,labels
    a.png,0.25,1,4
    """
    matrix = np.asarray(embeddings)
    if len(matrix) != len(labels) or len(filenames) != len(labels):
        raise EmbeddingValueError(
            f"Length of embeddings, labels, and filenames should be equal but "
            f"are not: ({len(matrix)}, {len(filenames)}, {len(labels)})."
        )
    if matrix.ndim != 2:
        raise EmbeddingValueError(
            f"embeddings must be a 2-D array of shape (n, d) "
            f"(got shape {matrix.shape})."
        )
    dtype: FloatDtype = "float32" if matrix.dtype == np.float32 else "float64"
    try:
        frame = build_frame(matrix, filenames, labels, dtype=dtype)
    except pandera.errors.SchemaErrors as exc:
        details = "; ".join(p.format("embeddings") for p in schema_problems(exc))
        raise EmbeddingValueError(
            f"The embeddings cannot be saved: {details}."
        ) from exc
    write_csv(frame, path)


def save_schema(path: str, task_type: str, ids: list[int], names: list[str]) -> None:
    """Save a prediction schema as JSON, atomically.

    Parameters
    ----------
    path : str
        Where to store the schema.
    task_type : str
        Task type, for example ``"classification"`` or ``"object-detection"``.
    ids : list of int
        Category ids, unique.
    names : list of str
        Category names, one per id.

    Raises
    ------
    ValueError
        If ``ids`` and ``names`` have different lengths or an id repeats.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "schema.json"
    >>> save_schema(str(path), "classification", [0, 1], ["cat", "dog"])
    >>> print(path.read_text())
    {"task_type": "classification", "categories": [{"id": 0, "name": "cat"}, {"id": 1, "name": "dog"}]}
    """  # noqa: E501
    if len(ids) != len(names):
        raise EmbeddingValueError(
            f"ids and names must have the same length (got {len(ids)} ids and "
            f"{len(names)} names)."
        )
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise EmbeddingValueError(f"ids must be unique; repeated: {repeated}.")
    schema = {
        "task_type": task_type,
        "categories": [
            {"id": int(i), "name": str(name)}
            for i, name in zip(ids, names, strict=True)
        ],
    }
    _write_json(path, schema)


def save_tasks(path: str, tasks: list[str]) -> None:
    """Save a list of prediction task names as JSON, atomically.

    Parameters
    ----------
    path : str
        Where to store the task names.
    tasks : list of str
        The task names.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tasks.json"
    >>> save_tasks(str(path), ["weather", "pedestrians"])
    >>> print(path.read_text())
    ["weather", "pedestrians"]
    """
    _write_json(path, list(tasks))


class COCO_ANNOTATION_KEYS:
    """Keys of the COCO-style document that :func:`format_custom_metadata` builds.

    The same attribute names and values as in lightly 1.6.0, and the class
    name too, which is why it is not in CapWords.

    Examples
    --------
    >>> COCO_ANNOTATION_KEYS.images, COCO_ANNOTATION_KEYS.custom_metadata
    ('images', 'metadata')
    """

    #: Top-level key of the list of images.
    images: str = "images"
    #: Key of an image's id within an ``images`` entry.
    images_id: str = "id"
    #: Key of an image's file name within an ``images`` entry.
    images_filename: str = "file_name"
    #: Top-level key of the list of metadata entries.
    custom_metadata: str = "metadata"
    #: Key of the image id within a ``metadata`` entry.
    custom_metadata_image_id: str = "image_id"


def format_custom_metadata(
    custom_metadata: list[tuple[str, Any]],
) -> dict[str, list[Any]]:
    """Arrange per-file metadata as the COCO-style document Lightly reads.

    Image ids are the positions in ``custom_metadata``, starting at 0.

    Parameters
    ----------
    custom_metadata : list of (str, dict)
        One ``(filename, metadata)`` pair per image.

    Returns
    -------
    dict
        ``{"images": [{"id", "file_name"}, ...], "metadata": [{"image_id",
        **metadata}, ...]}``, the same as lightly returns.

    Raises
    ------
    ValueError
        An :class:`embedframe.EmbeddingValueError` if ``custom_metadata`` is
        not a list of pairs, a file name is not a string, metadata is not a
        dict, or metadata has an ``image_id`` key.

    Examples
    --------
    >>> format_custom_metadata([("a.png", {"people": 2})])
    {'images': [{'id': 0, 'file_name': 'a.png'}], 'metadata': [{'image_id': 0, 'people': 2}]}
    """  # noqa: E501
    keys = COCO_ANNOTATION_KEYS
    images: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for image_id, (filename, metadata) in enumerate(_metadata_pairs(custom_metadata)):
        images.append({keys.images_id: image_id, keys.images_filename: filename})
        entries.append({keys.custom_metadata_image_id: image_id, **metadata})
    return {keys.images: images, keys.custom_metadata: entries}


def _metadata_pairs(
    custom_metadata: Iterable[Any],
) -> list[tuple[str, Mapping[str, Any]]]:
    """Return the (filename, metadata) pairs, rejecting malformed ones."""
    if isinstance(custom_metadata, Mapping | str | bytes) or not isinstance(
        custom_metadata, Iterable
    ):
        raise EmbeddingValueError(
            f"custom_metadata must be a list of (filename, metadata) pairs "
            f"(got {type(custom_metadata).__name__})."
        )
    image_id_key = COCO_ANNOTATION_KEYS.custom_metadata_image_id
    pairs = []
    for row, item in enumerate(custom_metadata):
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise EmbeddingValueError(
                f"custom_metadata[{row}] must be a (filename, metadata) pair "
                f"(got {item!r})."
            )
        filename, metadata = item
        if not isinstance(filename, str):
            raise EmbeddingValueError(
                f"custom_metadata[{row}] has file name {filename!r}; file names "
                f"must be strings."
            )
        if not isinstance(metadata, Mapping):
            raise EmbeddingValueError(
                f"custom_metadata[{row}] ({filename!r}) has metadata of type "
                f"{type(metadata).__name__}; expected a dict."
            )
        if image_id_key in metadata:
            raise EmbeddingValueError(
                f"custom_metadata[{row}] ({filename!r}) has the key "
                f"{image_id_key!r}, which would replace the image id. Rename "
                f"the key."
            )
        pairs.append((filename, metadata))
    return pairs


def save_custom_metadata(path: str, custom_metadata: list[tuple[str, Any]]) -> None:
    """Save per-file metadata as COCO-style JSON, atomically.

    The file has the same content as lightly writes for valid input.

    Parameters
    ----------
    path : str
        Where to write the JSON file.
    custom_metadata : list of (str, dict)
        One ``(filename, metadata)`` pair per image; see
        :func:`format_custom_metadata`.

    Raises
    ------
    ValueError
        An :class:`embedframe.EmbeddingValueError` if the input is malformed
        (see :func:`format_custom_metadata`) or a metadata value cannot be
        written as JSON, such as NaN or an object JSON does not know. The
        file is then left unchanged.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "metadata.json"
    >>> save_custom_metadata(str(path), [("a.png", {"weather": "sunny"})])
    >>> print(path.read_text())
    {"images": [{"id": 0, "file_name": "a.png"}], "metadata": [{"image_id": 0, "weather": "sunny"}]}
    """  # noqa: E501
    formatted = format_custom_metadata(custom_metadata)
    try:
        text = json.dumps(formatted, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise _json_error(formatted, exc) from exc
    with atomic_write(path) as handle:
        handle.write(text.encode("utf-8"))


def _json_error(formatted: dict[str, list[Any]], exc: Exception) -> EmbeddingValueError:
    """Return an error naming the first metadata entry JSON rejects."""
    keys = COCO_ANNOTATION_KEYS
    images = formatted[keys.images]
    for row, entry in enumerate(formatted[keys.custom_metadata]):
        try:
            json.dumps(entry, allow_nan=False)
        except (TypeError, ValueError) as entry_exc:
            filename = images[row][keys.images_filename]
            return EmbeddingValueError(
                f"custom_metadata[{row}] ({filename!r}) cannot be written as "
                f"JSON: {entry_exc}. Use strings, numbers without NaN or "
                f"infinity, booleans, None, lists and dicts."
            )
    return EmbeddingValueError(f"custom_metadata cannot be written as JSON: {exc}.")


def _write_json(path: str | os.PathLike[str], value: Any) -> None:
    with atomic_write(path) as handle:
        handle.write(json.dumps(value, allow_nan=False).encode("utf-8"))
