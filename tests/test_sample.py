"""The bundled digits sample: content, lightly compatibility and provenance."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from lightly.utils.io import load_embeddings
from sklearn.datasets import load_digits

import embedframe
from embedframe.data import make_sample, sample_path

N_IMAGES = 1797
DIM = 64
# Pixel rows of load_digits and the digit of each row.
Digits = tuple[np.ndarray, np.ndarray]
FILENAME_PATTERN = re.compile(r"digits/(?P<digit>[0-9])/(?P<index>[0-9]{4})\.png")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return embedframe.read_csv(sample_path())


@pytest.fixture(scope="module")
def digits() -> Digits:
    images, targets = load_digits(return_X_y=True)
    return images, targets


def test_sample_file_is_small() -> None:
    assert sample_path().stat().st_size < 1_000_000


def test_sample_shape_and_dtypes(frame: pd.DataFrame) -> None:
    expected_columns = [
        "filenames",
        *(f"embedding_{i}" for i in range(DIM)),
        "labels",
    ]

    assert frame.shape == (N_IMAGES, DIM + 2)
    assert frame.columns.tolist() == expected_columns
    assert frame.emb.to_numpy().dtype == np.float32
    assert frame["labels"].dtype == np.int64


def test_sample_labels_match_data_set(frame: pd.DataFrame, digits: Digits) -> None:
    _, targets = digits
    counts = frame["labels"].value_counts().sort_index()

    assert counts.index.tolist() == list(range(10))
    assert counts.tolist() == np.bincount(targets).tolist()
    np.testing.assert_array_equal(frame["labels"].to_numpy(), targets)


def test_sample_filenames_follow_pattern(frame: pd.DataFrame) -> None:
    filenames = frame["filenames"].tolist()
    unmatched = [name for name in filenames if not FILENAME_PATTERN.fullmatch(name)]

    assert unmatched == []
    assert len(set(filenames)) == N_IMAGES


def test_sample_filenames_carry_digit_and_index(frame: pd.DataFrame) -> None:
    parts = frame["filenames"].str.extract(FILENAME_PATTERN).astype(int)

    assert parts["index"].tolist() == list(range(N_IMAGES))
    assert parts["digit"].tolist() == frame["labels"].tolist()


def test_sample_embeddings_are_scaled_pixels(
    frame: pd.DataFrame, digits: Digits
) -> None:
    images, _ = digits
    matrix = frame.emb.to_numpy()

    assert matrix.min() == 0.0
    assert matrix.max() == 1.0
    np.testing.assert_array_equal(matrix, (images / 16).astype(np.float32))


def test_sample_loads_identically_with_lightly(frame: pd.DataFrame) -> None:
    embeddings, labels, filenames = load_embeddings(str(sample_path()))

    assert embeddings.dtype == np.float64
    assert embeddings.shape == (N_IMAGES, DIM)
    np.testing.assert_array_equal(embeddings, frame.emb.to_numpy("float64"))
    assert labels == frame["labels"].tolist()
    assert filenames == frame["filenames"].tolist()


def test_sample_regenerates_byte_identical(tmp_path) -> None:
    out = tmp_path / "digits.csv"

    assert make_sample.main([str(out)]) == 0
    assert out.read_bytes() == sample_path().read_bytes()
