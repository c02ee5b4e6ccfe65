"""Drop-in replacement for ``lightly.utils.reordering``.

:func:`sort_items_by_keys` has lightly 1.6.0's name, signature and result.
lightly builds a dictionary from the keys, so a duplicate key silently drops
an item and a key of ``sorted_keys`` that is not in ``keys`` raises a bare
``KeyError``. Here ``sorted_keys`` must be a permutation of ``keys``, and
every violation is a :class:`embedframe.EmbeddingValueError` (a
``ValueError``) that names the offending keys.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

from embedframe._reorder import permutation
from embedframe.errors import EmbeddingValueError

__all__ = ["sort_items_by_keys"]

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


def sort_items_by_keys(
    keys: Sequence[_K], items: Sequence[_V], sorted_keys: Sequence[_K]
) -> list[_V]:
    """Sort the items into the order of ``sorted_keys``.

    Parameters
    ----------
    keys : sequence of hashable
        One unique key per item.
    items : sequence
        The items, in the order of ``keys``.
    sorted_keys : sequence of hashable
        Each key of ``keys`` exactly once, in the requested order.

    Returns
    -------
    list
        ``items`` reordered so that item ``i`` belongs to ``sorted_keys[i]``.

    Raises
    ------
    EmbeddingValueError
        If ``keys`` and ``items`` differ in length, or ``sorted_keys`` is not
        a permutation of ``keys``: the message names every duplicate key,
        every key not in ``keys`` and every key left out.
    TypeError
        If a key is not hashable.

    Examples
    --------
    >>> sort_items_by_keys([3, 2, 1], ["!", "world", "hello"], [1, 2, 3])
    ['hello', 'world', '!']
    >>> sort_items_by_keys([1, 1], ["a", "b"], [1, 1])
    Traceback (most recent call last):
    ...
    embedframe.errors.EmbeddingValueError: sorted_keys must list each key of keys \
exactly once, but keys has duplicate keys: 1; sorted_keys has duplicate keys: 1.
    """
    if len(keys) != len(items):
        raise EmbeddingValueError(
            f"keys, items and sorted_keys must have the same length (got "
            f"{len(keys)}, {len(items)} and {len(sorted_keys)})."
        )
    positions = permutation(keys, sorted_keys)
    return [items[i] for i in positions]
