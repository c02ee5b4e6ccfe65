"""Resolution of the Lightly column layout from column names.

This module is the only place that interprets header names. A Lightly file
has a ``filenames`` column, embedding columns named exactly ``embedding_<n>``
for n = 0..d-1, and a ``labels`` column. ``masked`` and ``selected`` are known
optional columns; every other column is a user column, kept by name.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from embedframe.errors import Problem

__all__ = [
    "EMBEDDING_PATTERN",
    "FILENAMES",
    "KNOWN_EXTRAS",
    "LABELS",
    "Layout",
    "embedding_name",
    "resolve_layout",
]

#: Name of the column with one file name per row.
FILENAMES = "filenames"
#: Name of the column with one integer label per row.
LABELS = "labels"
#: Optional 0/1 columns that the Lightly format defines.
KNOWN_EXTRAS = ("masked", "selected")
#: Full-match pattern of an embedding column name, without leading zeros.
EMBEDDING_PATTERN = re.compile(r"embedding_(0|[1-9][0-9]*)")

# Names that look like embedding columns but are not canonical, such as
# "embedding_01". They are rejected instead of being kept as user columns,
# because they are almost always a writer's mistake.
_EMBEDDING_LIKE = re.compile(r"embedding_[0-9]+")


def embedding_name(index: int) -> str:
    """Return the column name of embedding dimension ``index``.

    Examples
    --------
    >>> embedding_name(7)
    'embedding_7'
    """
    return f"embedding_{index}"


@dataclass(frozen=True)
class Layout:
    """Column roles of a frame or file in the Lightly layout.

    Attributes
    ----------
    embeddings : tuple of str
        Embedding column names ordered by dimension, ``embedding_0`` first.
    extras : tuple of str
        The known optional columns present (``masked``, ``selected``).
    user : tuple of str
        Every other column, in the order found.
    """

    embeddings: tuple[str, ...]
    extras: tuple[str, ...] = ()
    user: tuple[str, ...] = ()

    @property
    def dim(self) -> int:
        """Number of embedding dimensions."""
        return len(self.embeddings)

    @property
    def columns(self) -> list[str]:
        """All columns in the canonical order.

        The order is ``filenames``, the embedding columns, the known extras,
        ``labels`` and then user columns. lightly's own checker expects the
        extras before ``labels``.
        """
        return [
            FILENAMES,
            *self.embeddings,
            *self.extras,
            LABELS,
            *self.user,
        ]

    @classmethod
    def for_dim(cls, dim: int) -> Layout:
        """Return the plain layout of ``dim`` embedding dimensions.

        Examples
        --------
        >>> Layout.for_dim(2).columns
        ['filenames', 'embedding_0', 'embedding_1', 'labels']
        """
        return cls(tuple(embedding_name(i) for i in range(dim)))


def header_problems(names: Sequence[str], *, strict: bool = False) -> list[Problem]:
    """List every problem with a header, without raising.

    Parameters
    ----------
    names : sequence of str
        Column names in file order.
    strict : bool, default False
        Report user columns as problems.

    Returns
    -------
    list of Problem
        Problems located on line 1, empty when the header is valid.
    """
    problems: list[Problem] = []

    def report(column: str | None, message: str) -> None:
        problems.append(Problem(1, column, message))

    for name, count in Counter(names).items():
        if count > 1:
            report(name, f"the header has {count} columns with this name")
    for name in names:
        if name != name.strip():
            report(name, "the name has leading or trailing whitespace")
        elif _EMBEDDING_LIKE.fullmatch(name) and not EMBEDDING_PATTERN.fullmatch(name):
            index = int(name.removeprefix("embedding_"))
            report(name, f"expected {embedding_name(index)!r} without leading zeros")
    for required in (FILENAMES, LABELS):
        if required not in names:
            report(None, f"missing required column {required!r}")

    indices = sorted(_embedding_indices(names))
    if not indices:
        report(
            None, "missing embedding columns; expected embedding_0 .. embedding_<d-1>"
        )
    else:
        missing = sorted(set(range(indices[-1] + 1)) - set(indices))
        if missing:
            listed = ", ".join(embedding_name(i) for i in missing[:5])
            more = "" if len(missing) <= 5 else f" and {len(missing) - 5} more"
            report(
                None,
                f"embedding columns must run from embedding_0 to "
                f"embedding_{indices[-1]} without gaps; missing {listed}{more}",
            )
    if strict:
        for name in _user_columns(names):
            report(name, "unexpected column (strict mode keeps only Lightly columns)")
    return problems


def resolve_layout(names: Sequence[str], *, strict: bool = False) -> Layout:
    """Resolve column roles from names, assuming the header is valid.

    Call :func:`header_problems` first; this function trusts its input.

    Parameters
    ----------
    names : sequence of str
        Column names in any order.
    strict : bool, default False
        Drop user columns from the layout.

    Returns
    -------
    Layout
        The roles of the columns.

    Examples
    --------
    >>> layout = resolve_layout(
    ...     ["filenames", "embedding_1", "labels", "embedding_0", "note"]
    ... )
    >>> layout.embeddings, layout.user
    (('embedding_0', 'embedding_1'), ('note',))
    """
    dim = len(_embedding_indices(names))
    extras = tuple(name for name in KNOWN_EXTRAS if name in names)
    user = () if strict else tuple(_user_columns(names))
    return Layout(tuple(embedding_name(i) for i in range(dim)), extras, user)


def _embedding_indices(names: Iterable[str]) -> list[int]:
    return [
        int(name.removeprefix("embedding_"))
        for name in names
        if EMBEDDING_PATTERN.fullmatch(name)
    ]


def _user_columns(names: Iterable[str]) -> list[str]:
    known = {FILENAMES, LABELS, *KNOWN_EXTRAS}
    return [
        name
        for name in names
        if name not in known and not _EMBEDDING_LIKE.fullmatch(name)
    ]
