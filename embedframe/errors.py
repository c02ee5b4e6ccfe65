"""Exceptions and warnings raised by embedframe.

Every exception derives from :class:`EmbedframeError` and also from the
built-in exception that lightly raises in the same situation, so code written
against ``lightly.utils`` keeps catching what it caught before::

    EmbedframeError
     ├── EmbeddingFormatError (RuntimeError)   a file breaks the format
     │    └── EmbeddingParseError              with a list of located problems
     ├── EmbeddingValueError (ValueError)      an argument or frame is invalid
     └── MetadataError (ValueError)            Arrow/Parquet metadata is invalid

    EmbedframeWarning (UserWarning)

pandera's ``SchemaError`` and ``SchemaErrors`` pass through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EmbeddingFormatError",
    "EmbeddingParseError",
    "EmbeddingValueError",
    "EmbedframeError",
    "EmbedframeWarning",
    "MetadataError",
    "Problem",
]


class EmbedframeError(Exception):
    """Base class of every exception raised by embedframe."""


class EmbeddingFormatError(EmbedframeError, RuntimeError):
    """A file does not follow the Lightly embedding format."""


class EmbeddingValueError(EmbedframeError, ValueError):
    """An argument or a frame has a value embedframe cannot use."""


class MetadataError(EmbedframeError, ValueError):
    """The ``embedframe`` entry of Arrow or Parquet metadata is invalid."""


class EmbedframeWarning(UserWarning):
    """Warning emitted by embedframe for input it accepts but finds suspect."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a file, with its location.

    Attributes
    ----------
    line : int or None
        Physical line in the file, 1-based, or None when the problem is not
        tied to one line.
    column : str or None
        Name of the column, or None when the problem concerns a whole row.
    message : str
        What was expected and what was found.
    """

    line: int | None
    column: str | None
    message: str

    def format(self, path: str) -> str:
        """Return the problem as one line prefixed with its location.

        Examples
        --------
        >>> Problem(3, "labels", "expected an integer, found '1.5'").format("a.csv")
        "a.csv:3: column 'labels': expected an integer, found '1.5'"
        """
        where = path if self.line is None else f"{path}:{self.line}"
        if self.column is None:
            return f"{where}: {self.message}"
        return f"{where}: column {self.column!r}: {self.message}"


class EmbeddingParseError(EmbeddingFormatError):
    """A file has one or more located problems.

    Parameters
    ----------
    path : str
        The file that was read.
    problems : list of Problem
        Every problem found, in file order.

    Attributes
    ----------
    path : str
        The file that was read.
    problems : tuple of Problem
        Every problem found, in file order.
    """

    #: Number of problems quoted in the message; the rest are counted.
    MAX_LISTED = 20

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = tuple(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [p.format(self.path) for p in self.problems[: self.MAX_LISTED]]
        hidden = len(self.problems) - self.MAX_LISTED
        if hidden > 0:
            noun = "problem" if hidden == 1 else "problems"
            lines.append(f"... and {hidden} more {noun}")
        return "\n".join(lines)
