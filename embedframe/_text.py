"""Wording helpers for messages and command-line output."""

from __future__ import annotations

__all__ = ["plural"]


def plural(count: int, noun: str) -> str:
    """Return ``count`` followed by ``noun``, with an "s" unless count is 1.

    Only for nouns whose plural adds "s", such as row, dimension or value.

    Examples
    --------
    >>> plural(1, "row"), plural(0, "row"), plural(3, "dimension")
    ('1 row', '0 rows', '3 dimensions')
    """
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
