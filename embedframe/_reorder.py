"""Reordering by keys: the checks and the permutation behind ``reorder``.

Both :func:`embedframe.reordering.sort_items_by_keys` and
``df.emb.reorder`` require the requested order to be a permutation of the
keys. Duplicate keys, unknown keys and keys left out are reported together,
each with the first few offending keys named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from embedframe._layout import FILENAMES
from embedframe.errors import EmbeddingValueError

__all__ = ["format_keys", "permutation", "reorder_frame"]

#: Offending keys quoted in a message; the rest are counted.
MAX_LISTED = 5


def format_keys(keys: Sequence[Hashable]) -> str:
    """Return the first keys as ``repr`` text, counting the rest.

    Examples
    --------
    >>> format_keys(["a", "b"])
    "'a', 'b'"
    >>> format_keys(list(range(7)))
    '0, 1, 2, 3, 4 and 2 more'
    """
    listed = ", ".join(repr(key) for key in keys[:MAX_LISTED])
    hidden = len(keys) - MAX_LISTED
    return f"{listed} and {hidden} more" if hidden > 0 else listed


def permutation(
    keys: Sequence[Hashable],
    sorted_keys: Sequence[Hashable],
    *,
    keys_name: str = "keys",
    sorted_name: str = "sorted_keys",
    noun: str = "key",
) -> npt.NDArray[np.intp]:
    """Return the positions in ``keys`` of each key of ``sorted_keys``.

    Parameters
    ----------
    keys : sequence of hashable
        The current order. Each key must be unique.
    sorted_keys : sequence of hashable
        The requested order: each key of ``keys`` exactly once.
    keys_name, sorted_name : str
        Names of the two arguments in error messages.
    noun : str, default 'key'
        What a key is, in error messages.

    Returns
    -------
    numpy.ndarray of intp
        ``positions`` such that ``keys[positions[i]] == sorted_keys[i]``.

    Raises
    ------
    EmbeddingValueError
        Naming the duplicate, unknown and missing keys.
    TypeError
        If a key is not hashable.

    Examples
    --------
    >>> permutation(["a", "b", "c"], ["c", "a", "b"])
    array([2, 0, 1])
    >>> permutation(["a", "b"], ["a", "a", "z"])
    Traceback (most recent call last):
    ...
    embedframe.errors.EmbeddingValueError: sorted_keys must list each key of keys \
exactly once, but sorted_keys has keys not in keys: 'z'; sorted_keys has \
duplicate keys: 'a'; sorted_keys leaves out keys of keys: 'b'.
    """
    index = {key: i for i, key in enumerate(keys)}
    problems = []
    if len(index) != len(keys):
        problems.append(f"{keys_name} has duplicate {noun}s: {_duplicates(keys)}")

    positions = [index.get(key, -1) for key in sorted_keys]
    unknown = [key for key, i in zip(sorted_keys, positions, strict=True) if i < 0]
    if unknown:
        problems.append(
            f"{sorted_name} has {noun}s not in {keys_name}: {format_keys(unknown)}"
        )
    found = [i for i in positions if i >= 0]
    if len(set(found)) != len(found):
        problems.append(
            f"{sorted_name} has duplicate {noun}s: {_duplicates(sorted_keys)}"
        )
    requested = set(sorted_keys)
    missing = [key for key in index if key not in requested]
    if missing:
        problems.append(
            f"{sorted_name} leaves out {noun}s of {keys_name}: {format_keys(missing)}"
        )

    if problems:
        raise EmbeddingValueError(
            f"{sorted_name} must list each {noun} of {keys_name} exactly once, "
            f"but {'; '.join(problems)}."
        )
    return np.asarray(positions, dtype=np.intp)


def reorder_frame(df: pd.DataFrame, filenames: Sequence[str]) -> pd.DataFrame:
    """Return the rows of ``df`` in the order of ``filenames``.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame with unique file names. It is not changed.
    filenames : sequence of str
        Every file name of ``df`` exactly once, in the requested order.

    Returns
    -------
    pandas.DataFrame
        The same rows, each with all its columns, in the new order. Index
        labels move with their rows, as with ``sort_values``.

    Raises
    ------
    EmbeddingValueError
        If ``df`` has duplicate file names, or ``filenames`` has duplicates,
        names not in ``df`` or leaves names out.

    Examples
    --------
    >>> from embedframe import build_frame
    >>> frame = build_frame([[1.0], [2.0]], ["a.png", "b.png"], [0, 1])
    >>> reorder_frame(frame, ["b.png", "a.png"])["embedding_0"].tolist()
    [2.0, 1.0]
    """
    positions = permutation(
        df[FILENAMES].tolist(),
        list(filenames),
        keys_name="the frame",
        sorted_name="filenames",
        noun="file name",
    )
    return df.iloc[positions]


def _duplicates(keys: Sequence[Hashable]) -> str:
    repeated = [key for key, count in Counter(keys).items() if count > 1]
    return format_keys(repeated)
