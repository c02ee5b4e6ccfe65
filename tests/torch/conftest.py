"""Fixtures for the torch tests: a runner for multi-process gloo groups."""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

#: Seconds that all ranks of one group together may take before the runner
#: terminates them and fails the test. Starting a rank imports torch, which
#: takes a few seconds on a loaded machine.
RANK_TIMEOUT_S = 90.0

RankTarget = Callable[[int, int, str], None]
RankRunner = Callable[..., list[dict[str, Any]]]


def _stop(process: multiprocessing.process.BaseProcess) -> None:
    process.terminate()
    process.join(5)
    if process.is_alive():
        process.kill()
        process.join()


def _read_errors(directory: Path, world_size: int) -> str:
    found = []
    for rank in range(world_size):
        path = directory / f"rank{rank}.error"
        if path.exists():
            found.append(f"rank {rank}:\n{path.read_text()}")
    return "\n".join(found) or "no rank wrote an error file"


def run_ranks(
    target: RankTarget,
    world_size: int,
    directory: Path,
    *,
    timeout: float = RANK_TIMEOUT_S,
) -> list[dict[str, Any]]:
    """Run ``target(rank, world_size, directory)`` in one process per rank.

    Each rank must write its results as JSON to ``directory/rank<r>.json``
    and may write a traceback to ``directory/rank<r>.error``. The processes
    start with the spawn method. Ranks still running after ``timeout``
    seconds are terminated and the test fails, so a hang in a collective
    fails the test instead of blocking the run.
    """
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=target, args=(rank, world_size, str(directory)))
        for rank in range(world_size)
    ]
    for process in processes:
        process.start()

    deadline = time.monotonic() + timeout
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    hung = [rank for rank, process in enumerate(processes) if process.is_alive()]
    for rank in hung:
        _stop(processes[rank])

    if hung:
        pytest.fail(
            f"Ranks {hung} of {world_size} did not finish within "
            f"{timeout} s and were terminated.\n" + _read_errors(directory, world_size)
        )
    exit_codes = [process.exitcode for process in processes]
    if any(code != 0 for code in exit_codes):
        pytest.fail(
            f"Ranks exited with codes {exit_codes}.\n"
            + _read_errors(directory, world_size)
        )
    return [
        json.loads((directory / f"rank{rank}.json").read_text())
        for rank in range(world_size)
    ]


@pytest.fixture(scope="session")
def rank_runner() -> RankRunner:
    """Return :func:`run_ranks`, the runner for multi-process gloo groups."""
    return run_ranks


@pytest.fixture
def close_figures() -> Any:
    """Close every pyplot figure that the test opened."""
    plt = pytest.importorskip("matplotlib.pyplot")
    yield plt
    plt.close("all")
