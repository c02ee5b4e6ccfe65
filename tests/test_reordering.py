"""Tests for embedframe.reordering, the drop-in for lightly's module."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lightly.utils.reordering import sort_items_by_keys as lightly_sort

from embedframe._reorder import format_keys, permutation
from embedframe.errors import EmbeddingValueError
from embedframe.reordering import sort_items_by_keys


class TestSortItemsByKeys:
    def test_lightly_example(self) -> None:
        result = sort_items_by_keys([3, 2, 1], ["!", "world", "hello"], [1, 2, 3])

        assert result == ["hello", "world", "!"]

    def test_string_keys(self) -> None:
        result = sort_items_by_keys(["b", "a"], [2.0, 1.0], ["a", "b"])

        assert result == [1.0, 2.0]

    def test_empty_inputs(self) -> None:
        assert sort_items_by_keys([], [], []) == []

    @given(
        st.lists(st.integers(), unique=True).flatmap(
            lambda keys: st.tuples(st.just(keys), st.permutations(keys))
        )
    )
    def test_same_result_as_lightly(self, case: tuple[list[int], list[int]]) -> None:
        keys, sorted_keys = case
        items = [f"item-{key}" for key in keys]

        result = sort_items_by_keys(keys, items, sorted_keys)

        assert result == lightly_sort(keys, items, sorted_keys)
        assert result == [f"item-{key}" for key in sorted_keys]

    def test_duplicate_keys_named(self) -> None:
        # lightly returns ['b', 'b'] here and silently loses 'a'.
        message = (
            "sorted_keys must list each key of keys exactly once, but keys has "
            "duplicate keys: 1; sorted_keys has duplicate keys: 1."
        )
        with pytest.raises(EmbeddingValueError, match=re.escape(message)):
            sort_items_by_keys([1, 1], ["a", "b"], [1, 1])

    def test_unknown_and_missing_keys_named(self) -> None:
        message = (
            "sorted_keys must list each key of keys exactly once, but "
            "sorted_keys has keys not in keys: 'x', 'y'; sorted_keys leaves out "
            "keys of keys: 'a', 'c'."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            sort_items_by_keys(["a", "b", "c"], [1, 2, 3], ["x", "b", "y"])

    def test_shorter_sorted_keys(self) -> None:
        message = (
            "sorted_keys must list each key of keys exactly once, but "
            "sorted_keys leaves out keys of keys: 3."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            sort_items_by_keys([1, 2, 3], ["a", "b", "c"], [2, 1])

    def test_items_length_differs(self) -> None:
        message = (
            "keys, items and sorted_keys must have the same length (got 2, 3 and 2)."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            sort_items_by_keys([1, 2], ["a", "b", "c"], [2, 1])

    def test_unhashable_key(self) -> None:
        with pytest.raises(TypeError, match=re.escape("unhashable type: 'list'")):
            sort_items_by_keys([[1]], ["a"], [[1]])


class TestPermutation:
    def test_positions(self) -> None:
        assert permutation(["a", "b", "c"], ["c", "a", "b"]).tolist() == [2, 0, 1]

    def test_long_lists_are_counted(self) -> None:
        keys = list(range(10))
        message = (
            "order must list each id of current exactly once, but order has ids "
            "not in current: 10, 11, 12, 13, 14 and 2 more; order leaves out ids "
            "of current: 0, 1, 2, 3, 4 and 2 more."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            permutation(
                keys,
                [*range(7, 17)],
                keys_name="current",
                sorted_name="order",
                noun="id",
            )

    def test_format_keys_counts_the_rest(self) -> None:
        assert format_keys(["a"]) == "'a'"
        assert format_keys(list(range(6))) == "0, 1, 2, 3, 4 and 1 more"
