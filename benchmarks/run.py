"""Time embedframe's CSV and Parquet I/O against lightly and raw parsers.

Usage::

    python benchmarks/run.py [--quick] [--json OUT] [--repeats N] [--dir DIR]

One run generates seeded float32 embedding files, then times:

- reading CSV with embedframe.read_csv (validated frame), lightly's
  load_embeddings, pandas.read_csv(engine="pyarrow") and pyarrow.csv.read_csv;
- writing CSV with embedframe.write_csv, lightly's save_embeddings and
  pandas.DataFrame.to_csv;
- the peak extra resident memory of each CSV reader, each in a fresh process;
- writing and reading Parquet in the wide and list layouts, for information.

It prints one table, then the ratios against the targets. Progress goes to
stderr. See benchmarks/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import multiprocessing
import os
import pathlib
import platform
import queue as queue_module
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import lightly
import numpy as np
import pandas as pd
import pandera
import pyarrow as pa
import pyarrow.csv as pv
from lightly.utils.io import load_embeddings, save_embeddings

import embedframe

FULL_SIZES = ((20_000, 128), (100_000, 512))
QUICK_SIZES = ((2_000, 32), (5_000, 128))
SEED = 0
N_LABELS = 10

READ_TARGET = 40.0
WRITE_TARGET = 15.0
MEMORY_TARGET = 2.0

#: The multiplication sign, printed in sizes and ratios.
TIMES = "\N{MULTIPLICATION SIGN}"

#: A tool stops repeating once its runs for one size add up to this long.
REPEAT_BUDGET_S = 20.0

_START = time.perf_counter()


def log(message: str) -> None:
    elapsed = time.perf_counter() - _START
    print(f"[{elapsed:7.1f} s] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Data


@dataclass
class Dataset:
    rows: int
    dim: int
    embeddings: np.ndarray
    filenames: list[str]
    labels: np.ndarray
    frame: pd.DataFrame
    csv_path: pathlib.Path

    @property
    def label(self) -> str:
        return f"{self.rows:,} {TIMES} {self.dim}"


def make_dataset(rows: int, dim: int, folder: pathlib.Path) -> Dataset:
    # Seeding with the size as well keeps each size's data independent of
    # which other sizes run.
    rng = np.random.default_rng([SEED, rows, dim])
    embeddings = rng.standard_normal((rows, dim), dtype=np.float32)
    labels = rng.integers(0, N_LABELS, size=rows)
    filenames = [f"images/{i % N_LABELS}/{i:07d}.png" for i in range(rows)]
    frame = embedframe.build_frame(embeddings, filenames, labels)
    csv_path = folder / f"embeddings_{rows}x{dim}.csv"
    embedframe.write_csv(frame, csv_path)
    return Dataset(rows, dim, embeddings, filenames, labels, frame, csv_path)


def check_readers(data: Dataset) -> None:
    """Fail early if a reader does not return the data that was written."""
    frame = embedframe.read_csv(data.csv_path)
    np.testing.assert_array_equal(frame.emb.to_numpy(), data.embeddings)
    assert frame["filenames"].tolist() == data.filenames
    embeddings, labels, filenames = load_embeddings(str(data.csv_path))
    np.testing.assert_allclose(embeddings, data.embeddings, rtol=1e-6)
    assert labels == data.labels.tolist()
    assert filenames == data.filenames


# --------------------------------------------------------------------------
# Timing


@dataclass
class Timing:
    size: str
    rows: int
    dim: int
    operation: str
    tool: str
    times_s: list[float]
    megabytes: float

    @property
    def best_s(self) -> float:
        return min(self.times_s)

    @property
    def median_s(self) -> float:
        return statistics.median(self.times_s)


def time_runs(function: Callable[[], object], repeats: int) -> list[float]:
    """Run ``function`` up to ``repeats`` times within REPEAT_BUDGET_S."""
    times: list[float] = []
    while len(times) < repeats and sum(times) < REPEAT_BUDGET_S:
        gc.collect()
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
        del result
    return times


def csv_readers() -> dict[str, Callable[[str], object]]:
    return {
        "embedframe": embedframe.read_csv,
        "embedframe, validate=False": lambda path: embedframe.read_csv(
            path, validate=False
        ),
        "lightly": load_embeddings,
        "pandas (pyarrow engine)": lambda path: pd.read_csv(path, engine="pyarrow"),
        "pyarrow.csv": pv.read_csv,
    }


def csv_writers(data: Dataset) -> dict[str, Callable[[str], object]]:
    labels = data.labels.tolist()
    return {
        "embedframe": lambda path: embedframe.write_csv(data.frame, path),
        # With float32 input lightly writes the shortest text for each float32,
        # as embedframe does. float64 input would make its lines longer.
        "lightly": lambda path: save_embeddings(
            path, data.embeddings, labels, data.filenames
        ),
        "pandas to_csv": lambda path: data.frame.to_csv(path, index=False),
    }


def bench_csv(data: Dataset, folder: pathlib.Path, repeats: int) -> list[Timing]:
    timings = []
    megabytes = data.csv_path.stat().st_size / 1e6
    path = str(data.csv_path)
    for tool, read in csv_readers().items():
        log(f"read CSV {data.label}: {tool}")
        times = time_runs(lambda read=read: read(path), repeats)
        timings.append(
            Timing(data.label, data.rows, data.dim, "read CSV", tool, times, megabytes)
        )

    out = folder / "written.csv"
    for tool, write in csv_writers(data).items():
        log(f"write CSV {data.label}: {tool}")
        times = time_runs(lambda write=write: write(str(out)), repeats)
        written = out.stat().st_size / 1e6
        out.unlink()
        timings.append(
            Timing(data.label, data.rows, data.dim, "write CSV", tool, times, written)
        )
    return timings


def bench_parquet(data: Dataset, folder: pathlib.Path, repeats: int) -> list[Timing]:
    timings = []
    for layout in ("wide", "list"):
        path = folder / f"embeddings_{layout}.parquet"
        log(f"Parquet {data.label}: {layout} layout")
        times = time_runs(
            lambda layout=layout, path=path: embedframe.write_parquet(
                data.frame, path, layout=layout
            ),
            repeats,
        )
        megabytes = path.stat().st_size / 1e6
        operation = f"write Parquet ({layout})"
        timings.append(
            Timing(
                data.label,
                data.rows,
                data.dim,
                operation,
                "embedframe",
                times,
                megabytes,
            )
        )
        times = time_runs(lambda path=path: embedframe.read_parquet(path), repeats)
        operation = f"read Parquet ({layout})"
        timings.append(
            Timing(
                data.label,
                data.rows,
                data.dim,
                operation,
                "embedframe",
                times,
                megabytes,
            )
        )
        path.unlink()
    return timings


# --------------------------------------------------------------------------
# Memory


@dataclass
class Memory:
    size: str
    tool: str
    rss_before_mb: float
    peak_extra_mb: float
    result_mb: float

    @property
    def ratio(self) -> float:
        return self.peak_extra_mb / self.result_mb


def _linux_rss_bytes() -> tuple[int, int] | None:
    """Return the current and peak resident size, or None off Linux."""
    try:
        status = pathlib.Path("/proc/self/status").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    # Both fields are in kB.
    return int(fields["VmRSS"].split()[0]) * 1024, int(
        fields["VmHWM"].split()[0]
    ) * 1024


def _reset_peak_rss() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current resident size
    # (Linux 4.0 and later). Without it, VmHWM still counts only this
    # process's own pages since it started.
    try:
        pathlib.Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in kilobytes on Linux and in bytes on macOS.
    return peak if sys.platform == "darwin" else peak * 1024


def _result_bytes(result: Any) -> int:
    if isinstance(result, pd.DataFrame):
        return int(result.memory_usage(deep=True).sum())
    if isinstance(result, pa.Table):
        return int(result.nbytes)
    # lightly: (float64 array, list of int labels, list of str filenames).
    embeddings, labels, filenames = result
    lists = sys.getsizeof(labels) + sys.getsizeof(filenames)
    strings = sum(sys.getsizeof(name) for name in filenames)
    return int(embeddings.nbytes) + lists + strings


def _measure_read(tool: str, path: str, queue: multiprocessing.Queue) -> None:
    """Read ``path`` once with ``tool`` and report the memory it took.

    Runs in a fresh spawned process, which imports this module, and with it
    every library, before measuring. On Linux the peak is VmHWM, reset just
    before the read. ru_maxrss is not used there because a spawned child
    inherits the parent's high-water mark from the fork before exec.
    Elsewhere the peak is ru_maxrss, which also counts the imports.
    """
    read = csv_readers()[tool]
    gc.collect()
    _reset_peak_rss()
    linux = _linux_rss_bytes()
    before = linux[0] if linux else _peak_rss_bytes()
    result = read(path)
    linux = _linux_rss_bytes()
    peak = linux[1] if linux else _peak_rss_bytes()
    queue.put((before, peak - before, _result_bytes(result)))


def _result_or_exit(
    queue: multiprocessing.Queue,
    process: multiprocessing.process.BaseProcess,
    tool: str,
) -> tuple[int, int, int]:
    """Wait for the child's result; raise if it exits without one."""
    while True:
        try:
            return queue.get(timeout=1.0)
        except queue_module.Empty:
            if not process.is_alive():
                raise RuntimeError(
                    f"The memory run for {tool} exited with code "
                    f"{process.exitcode} before reporting; its traceback is "
                    f"above on stderr."
                ) from None


def measure_read_memory(data: Dataset) -> list[Memory]:
    context = multiprocessing.get_context("spawn")
    results = []
    for tool in csv_readers():
        log(f"memory {data.label}: {tool}, in a fresh process")
        queue = context.Queue()
        process = context.Process(
            target=_measure_read, args=(tool, str(data.csv_path), queue)
        )
        process.start()
        before, extra, result = _result_or_exit(queue, process, tool)
        process.join()
        results.append(
            Memory(data.label, tool, before / 1e6, extra / 1e6, result / 1e6)
        )
    return results


# --------------------------------------------------------------------------
# Report


@dataclass
class Ratio:
    size: str
    name: str
    value: float
    target: float
    higher_is_better: bool

    @property
    def passed(self) -> bool:
        if self.higher_is_better:
            return self.value >= self.target
        return self.value <= self.target

    def sentence(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        value = f"{self.value:.1f}{TIMES}"
        if self.higher_is_better:
            return (
                f"{self.size}, {self.name}: embedframe is {value} faster than "
                f"lightly (target ≥ {self.target:g}{TIMES}): {verdict}"
            )
        return (
            f"{self.size}, {self.name}: embedframe's peak extra memory is "
            f"{value} the frame (target ≤ {self.target:g}{TIMES}): {verdict}"
        )


def compute_ratios(timings: list[Timing], memory: list[Memory]) -> list[Ratio]:
    best = {(t.size, t.operation, t.tool): t.best_s for t in timings}
    ratios = []
    sizes = list(dict.fromkeys(t.size for t in timings))
    for size in sizes:
        for operation, target in (
            ("read CSV", READ_TARGET),
            ("write CSV", WRITE_TARGET),
        ):
            speedup = (
                best[size, operation, "lightly"] / best[size, operation, "embedframe"]
            )
            ratios.append(Ratio(size, operation, speedup, target, True))
        for entry in memory:
            if entry.size == size and entry.tool == "embedframe":
                ratios.append(
                    Ratio(size, "read CSV memory", entry.ratio, MEMORY_TARGET, False)
                )
    return ratios


def format_timings(timings: list[Timing]) -> str:
    lightly_best = {
        (t.size, t.operation): t.best_s for t in timings if t.tool == "lightly"
    }
    header = (
        f"{'size':>13}  {'operation':<22}{'tool':<28}"
        f"{'best s':>9}{'median s':>10}{'runs':>5}{'MB/s':>8}{'vs lightly':>12}"
    )
    lines = [header, "-" * len(header)]
    for t in timings:
        reference = lightly_best.get((t.size, t.operation))
        versus = f"{reference / t.best_s:.1f}{TIMES}" if reference else ""
        lines.append(
            f"{t.size:>13}  {t.operation:<22}{t.tool:<28}"
            f"{t.best_s:9.3f}{t.median_s:10.3f}{len(t.times_s):5d}"
            f"{t.megabytes / t.best_s:8.0f}{versus:>12}"
        )
    return "\n".join(lines)


def format_memory(memory: list[Memory]) -> str:
    header = (
        f"{'size':>13}  {'reader':<28}{'RSS before MB':>14}"
        f"{'peak extra MB':>15}{'result MB':>11}{'extra/result':>14}"
    )
    lines = [header, "-" * len(header)]
    for m in memory:
        lines.append(
            f"{m.size:>13}  {m.tool:<28}{m.rss_before_mb:14.1f}"
            f"{m.peak_extra_mb:15.1f}{m.result_mb:11.1f}{m.ratio:14.2f}"
        )
    return "\n".join(lines)


def machine(started: datetime.datetime) -> dict[str, Any]:
    try:
        with open("/proc/meminfo") as meminfo:
            total_kb = int(meminfo.readline().split()[1])
        memory_gib: float | None = round(total_kb / 2**20, 1)
    except (OSError, ValueError, IndexError):
        memory_gib = None
    return {
        "date": started.isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "memory_gib": memory_gib,
        "python": platform.python_version(),
        "embedframe_path": str(pathlib.Path(embedframe.__file__).parent),
        "versions": {
            "embedframe": embedframe.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "pandera": pandera.__version__,
            "pyarrow": pa.__version__,
            "lightly": lightly.__version__,
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run on {QUICK_SIZES} instead of {FULL_SIZES} (rows, dim)",
    )
    parser.add_argument(
        "--json", type=pathlib.Path, help="also write all results to this JSON file"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=5,
        help=f"maximum runs per tool and size (default: 5); a tool stops "
        f"early once its runs add up to {REPEAT_BUDGET_S:g} s",
    )
    parser.add_argument(
        "--dir",
        type=pathlib.Path,
        help="folder for the generated files (default: a temporary folder, removed)",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1 (got {args.repeats})")

    started = datetime.datetime.now(datetime.UTC)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    with tempfile.TemporaryDirectory(dir=args.dir) as name:
        folder = pathlib.Path(name)
        timings: list[Timing] = []
        memory: list[Memory] = []
        for rows, dim in sizes:
            log(f"generating {rows:,} {TIMES} {dim}")
            data = make_dataset(rows, dim, folder)
            check_readers(data)
            timings += bench_csv(data, folder, args.repeats)
            timings += bench_parquet(data, folder, args.repeats)
            memory += measure_read_memory(data)
            data.csv_path.unlink()
            del data

    ratios = compute_ratios(timings, memory)
    info = machine(started)
    print(
        f"{info['date']}, {info['platform']}, {info['cpu_count']} CPUs, "
        f"{info['memory_gib']} GiB, Python {info['python']}"
    )
    print(", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    print(f"embedframe imported from {info['embedframe_path']}")
    print()
    print(format_timings(timings))
    print()
    print(format_memory(memory))
    print()
    for ratio in ratios:
        print(ratio.sentence())

    if args.json:
        report = {
            "machine": info,
            "quick": args.quick,
            "repeats": args.repeats,
            "timings": [
                {**asdict(t), "best_s": t.best_s, "median_s": t.median_s}
                for t in timings
            ],
            "memory": [{**asdict(m), "ratio": m.ratio} for m in memory],
            "ratios": [{**asdict(r), "passed": r.passed} for r in ratios],
        }
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
        args.json.write_text(text, encoding="utf-8")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
