"""Drop-in replacement for ``lightly.utils.version_compare``.

:func:`version_compare` keeps lightly 1.6.0's contract: versions are
``x.y.z`` with three non-negative integers, and the result is 1, 0 or -1.
It is stricter about what counts as ``x.y.z``, and it accepts one extension:

* Anything but exactly three dot-separated integers is a ``ValueError``
  that names the string, including ``1.2``, ``1.2.0.1``, pre-releases such
  as ``1.1.0rc1`` and ``1.1.0.dev1``, whitespace and leading zeros
  (``1.02.0``). lightly accepted some of these, because ``int()`` skips
  whitespace and leading zeros.
* A local version label after ``+``, as in ``2.1.0+cu118``, is accepted and
  ignored for ordering, so ``2.1.0+cu118`` equals ``2.1.0``. The label uses
  the characters that PEP 440 allows: letters, digits and ``.``, ``-`` or
  ``_`` between them.
"""

from __future__ import annotations

import re

from embedframe.errors import EmbeddingValueError

__all__ = ["version_compare"]

# [0-9] rather than \d, which also matches non-ASCII digits.
_NUMBER = r"(0|[1-9][0-9]*)"
_VERSION = re.compile(
    rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}(?:\+[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*)?"
)


def version_compare(v0: str, v1: str) -> int:
    """Compare two ``x.y.z`` version strings.

    Parameters
    ----------
    v0, v1 : str
        Versions such as ``"1.2.0"``, optionally with a local label such as
        ``"2.1.0+cu118"``, which does not affect the result.

    Returns
    -------
    int
        1 if ``v0`` is newer than ``v1``, 0 if they are equal and -1 if
        ``v0`` is older.

    Raises
    ------
    EmbeddingValueError
        A ``ValueError`` naming the string, if a version is not ``x.y.z``.
    TypeError
        If a version is not a string.

    Examples
    --------
    >>> version_compare("1.2.0", "1.1.2")
    1
    >>> version_compare("1.10.0", "1.9.0")
    1
    >>> version_compare("2.1.0+cu118", "2.1.0")
    0
    >>> version_compare("1.2", "1.2.0")
    Traceback (most recent call last):
    ...
    embedframe.errors.EmbeddingValueError: Invalid version v0='1.2': expected \
'x.y.z' with three non-negative integers without leading zeros, optionally \
followed by a local label such as '+cu118'.
    """
    first = _parse(v0, "v0")
    second = _parse(v1, "v1")
    return (first > second) - (first < second)


def _parse(version: str, name: str) -> tuple[int, int, int]:
    if not isinstance(version, str):
        raise TypeError(
            f"{name} must be a version string such as '1.2.0' "
            f"(got {type(version).__name__} {version!r})."
        )
    match = _VERSION.fullmatch(version)
    if match is None:
        raise EmbeddingValueError(
            f"Invalid version {name}={version!r}: expected 'x.y.z' with three "
            "non-negative integers without leading zeros, optionally followed "
            "by a local label such as '+cu118'."
        )
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch
