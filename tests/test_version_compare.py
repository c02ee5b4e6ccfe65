"""Tests for embedframe.version_compare, the drop-in for lightly's module."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lightly.utils.version_compare import version_compare as lightly_compare

from embedframe.errors import EmbeddingValueError
from embedframe.version_compare import version_compare

FORMAT = (
    "expected 'x.y.z' with three non-negative integers without leading zeros, "
    "optionally followed by a local label such as '+cu118'."
)


@pytest.mark.parametrize(
    ("v0", "v1", "expected"),
    [
        ("1.2.0", "1.1.2", 1),
        ("1.1.2", "1.2.0", -1),
        ("1.2.0", "1.2.0", 0),
        ("1.10.0", "1.9.0", 1),
        ("0.0.1", "0.0.0", 1),
        ("2.0.0", "10.0.0", -1),
        ("1.2.3", "1.2.10", -1),
    ],
)
def test_order(v0: str, v1: str, expected: int) -> None:
    assert version_compare(v0, v1) == expected


@pytest.mark.parametrize(
    ("v0", "v1", "expected"),
    [
        ("2.1.0+cu118", "2.1.0", 0),
        ("2.1.0", "2.1.0+cpu", 0),
        ("2.1.0+cu118", "2.1.0+cu121", 0),
        ("2.1.1+cpu", "2.1.0+cu121", 1),
        ("2.1.0+ubuntu-22.04_1", "2.2.0", -1),
    ],
)
def test_local_label_ignored(v0: str, v1: str, expected: int) -> None:
    assert version_compare(v0, v1) == expected


@given(
    st.tuples(st.integers(0, 999), st.integers(0, 999), st.integers(0, 999)),
    st.tuples(st.integers(0, 999), st.integers(0, 999), st.integers(0, 999)),
)
def test_same_as_lightly(
    first: tuple[int, int, int], second: tuple[int, int, int]
) -> None:
    v0 = ".".join(map(str, first))
    v1 = ".".join(map(str, second))

    assert version_compare(v0, v1) == lightly_compare(v0, v1)


@pytest.mark.parametrize(
    "version",
    [
        "1.2",
        "1.2.0.1",
        "1.1.0rc1",
        "1.1.0.dev1",
        "1.1.0.post1",
        "1.02.0",
        "01.2.0",
        " 1.2.0",
        "1.2.0\n",
        "1. 2.0",
        "v1.2.0",
        "1.2.0+",
        "1.2.0+cu 118",
        "1.2.0+cu118+x",
        "1.2.-1",
        "1.2.٣",
        "",
    ],
)
def test_invalid_version_named(version: str) -> None:
    message = f"Invalid version v1={version!r}: {FORMAT}"
    with pytest.raises(EmbeddingValueError, match=re.escape(message)):
        version_compare("1.0.0", version)


def test_invalid_first_version_named() -> None:
    message = f"Invalid version v0='1.2': {FORMAT}"
    with pytest.raises(ValueError, match=re.escape(message)):
        version_compare("1.2", "1.2.0")


def test_non_string_rejected() -> None:
    message = "v0 must be a version string such as '1.2.0' (got float 1.2)."
    with pytest.raises(TypeError, match=re.escape(message)):
        version_compare(1.2, "1.2.0")  # type: ignore[arg-type]
