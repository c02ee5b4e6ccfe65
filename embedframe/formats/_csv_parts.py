"""Planning of parallel CSV reads: where the body starts and where to cut it.

The file is read with plain reads, not memory-mapped, because mapped pages
would count towards the process's resident memory.
"""

from __future__ import annotations

import io
import itertools
import os
import re
from dataclasses import dataclass
from typing import Any, BinaryIO

__all__ = ["LINE_END", "FileRange", "Part", "plan_parts"]

#: A line end as Python's csv module and pyarrow's parser see it.
LINE_END = re.compile(rb"\r\n|\n|\r")


@dataclass(frozen=True)
class Part:
    """A byte range of the body that starts and ends on a line boundary."""

    start: int
    stop: int
    # Exact row count when the file has no quotes, else an upper bound.
    rows: int


def plan_parts(path: str, header_lines: int, count: int) -> list[Part]:
    """Split the body into ``count`` parts of similar size at line ends.

    Without quote characters and lone carriage returns, every newline ends a
    row, so the parts can be parsed independently and their row counts are
    exact. Otherwise a newline may sit inside a quoted value, so the body
    stays one part whose count of line ends only bounds its rows. The list
    is empty when the file has no body.
    """
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        start = _header_end(handle, header_lines)
        if start is None or start >= size:
            return []
        bounds = [start]
        for share in range(1, count):
            target = start + (size - start) * share // count
            cut = _next_line_start(handle, max(bounds[-1], target), size)
            if cut >= size:
                break
            bounds.append(cut)
        bounds.append(size)
        scan = _scan(handle, bounds)

    if scan.lone_returns or scan.quoted:
        rows = sum(scan.newlines) + scan.lone_returns + int(scan.ends_open)
        return [Part(start, size, rows)]
    parts = []
    for index, (first, last) in enumerate(itertools.pairwise(bounds)):
        open_end = scan.ends_open and last == size
        parts.append(Part(first, last, scan.newlines[index] + int(open_end)))
    return parts


def _header_end(handle: BinaryIO, header_lines: int) -> int | None:
    """Return the offset after the header, or None if the file is only a header."""
    handle.seek(0)
    data = b""
    while True:
        chunk = handle.read(1 << 16)
        data += chunk
        # A \r at the end of the data may be the first half of \r\n.
        complete = data if not chunk else data[:-1]
        ends = list(itertools.islice(LINE_END.finditer(complete), header_lines))
        if len(ends) == header_lines:
            return ends[-1].end()
        if not chunk:
            return None


def _next_line_start(handle: BinaryIO, position: int, size: int) -> int:
    """Return the offset after the first newline at or after ``position``."""
    handle.seek(position)
    while position < size:
        chunk = handle.read(1 << 16)
        found = chunk.find(b"\n")
        if found >= 0:
            return position + found + 1
        position += len(chunk)
    return size


@dataclass
class _Scan:
    """Counts over the body, one newline count per part."""

    newlines: list[int]
    lone_returns: int
    quoted: bool
    ends_open: bool


def _scan(handle: BinaryIO, bounds: list[int]) -> _Scan:
    scan = _Scan([0] * (len(bounds) - 1), 0, quoted=False, ends_open=False)
    returns = pairs = 0
    last = b""
    for index, (first, stop) in enumerate(itertools.pairwise(bounds)):
        handle.seek(first)
        for position in range(first, stop, 1 << 24):
            chunk = handle.read(min(1 << 24, stop - position))
            scan.newlines[index] += chunk.count(b"\n")
            scan.quoted = scan.quoted or b'"' in chunk
            if b"\r" in chunk:
                returns += chunk.count(b"\r")
                pairs += chunk.count(b"\r\n")
            # A \r\n split between chunks or parts.
            pairs += last == b"\r" and chunk[:1] == b"\n"
            last = chunk[-1:]
    scan.lone_returns = returns - pairs
    scan.ends_open = last not in (b"\n", b"\r")
    return scan


class FileRange(io.RawIOBase):
    """A read-only view of ``length`` bytes of an open file from ``start``."""

    def __init__(self, path: str, start: int, length: int) -> None:
        super().__init__()
        self._handle = open(path, "rb")
        self._handle.seek(start)
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")[: self._left]
        count = self._handle.readinto(view)
        self._left -= count
        return count

    def close(self) -> None:
        self._handle.close()
        super().close()
