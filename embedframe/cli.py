"""Command-line interface: ``embedframe check|convert|info|pca|plot ...``.

Each sub-command is a thin function over the library. Exit codes: 0 when
everything is valid, 1 when a file is invalid or an operation fails, 2 on
usage errors. Problems go to stderr, one line each, never as a traceback.
The first 100 problems of a file are printed and the rest are counted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from embedframe._atomic import atomic_write
from embedframe._compat import optional_import
from embedframe._frame import embedding_matrix, frame_layout
from embedframe._layout import FILENAMES, LABELS, header_problems
from embedframe._pca import fit_pca, with_projection
from embedframe._plot import plot_pca
from embedframe._text import plural
from embedframe._version import __version__
from embedframe.errors import (
    EmbeddingParseError,
    EmbeddingValueError,
    EmbedframeError,
    Problem,
)
from embedframe.formats.arrow import read_parquet, write_parquet
from embedframe.formats.csv import read_csv, write_csv
from embedframe.schema import json_schema

__all__ = ["main"]

#: File name suffixes of each supported format.
CSV_SUFFIXES = (".csv",)
PARQUET_SUFFIXES = (".parquet", ".pq")
#: Choices of --dtype; "auto" keeps the text of every value of the input.
DTYPES = ("auto", "float32", "float64")
#: Problems printed for one file; the rest are counted in one more line.
MAX_PRINTED_PROBLEMS = 100


class UsageError(Exception):
    """A command line that parses but requests something impossible."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 on success, 1 on invalid data or a failed operation, 2 on usage
        errors.

    Examples
    --------
    >>> main(["--version"])  # doctest: +ELLIPSIS
    embedframe ...
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code in (0, None) else 2
    if args.version:
        print(f"embedframe {__version__}")
        return 0
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("error: a command is required", file=sys.stderr)
        return 2

    command: Callable[[argparse.Namespace], int] = args.run
    try:
        return command(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except EmbeddingParseError as exc:
        _print_problems(exc)
        return 1
    except (EmbedframeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _print_problems(exc: EmbeddingParseError) -> None:
    """Print the first problems of a file to stderr and count the rest."""
    for problem in exc.problems[:MAX_PRINTED_PROBLEMS]:
        print(f"error: {problem.format(exc.path)}", file=sys.stderr)
    hidden = len(exc.problems) - MAX_PRINTED_PROBLEMS
    if hidden > 0:
        more = plural(hidden, "more problem")
        print(f"error: {exc.path}: ... and {more}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with one sub-parser per command."""
    parser = argparse.ArgumentParser(
        prog="embedframe",
        description="Check, describe, convert, project and plot Lightly embedding "
        "files.",
    )
    parser.add_argument("--version", action="store_true", help="print the version")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="validate files and list their problems")
    check.add_argument("files", nargs="+", metavar="FILE", help="CSV or Parquet files")
    check.add_argument(
        "--fix",
        action="store_true",
        help="write a cleaned copy to -o: canonical column order and number "
        "text, LF line endings, no byte-order mark, no user columns",
    )
    check.add_argument("-o", "--output", help="where --fix writes the cleaned copy")
    _add_dtype_option(check)
    _add_validation_options(check)
    check.set_defaults(run=run_check)

    convert = commands.add_parser(
        "convert", help="convert between CSV and Parquet, chosen by extension"
    )
    convert.add_argument("input", metavar="IN", help="source file (.csv, .parquet)")
    convert.add_argument("output", metavar="OUT", help="target file (.csv, .parquet)")
    convert.add_argument(
        "--layout",
        choices=("wide", "list"),
        default="wide",
        help="Parquet layout: one column per dimension (wide, the default) "
        "or one fixed-size list column (list)",
    )
    _add_dtype_option(convert)
    _add_validation_options(convert)
    convert.set_defaults(run=run_convert)

    info = commands.add_parser("info", help="describe an embedding file")
    info.add_argument("input", metavar="FILE", help="CSV or Parquet file")
    info.add_argument("--json", action="store_true", help="print JSON")
    _add_dtype_option(info)
    _add_validation_options(info)
    info.set_defaults(run=run_info)

    pca = commands.add_parser(
        "pca", help="add PCA coordinates as columns pca_0 .. pca_<K-1>"
    )
    pca.add_argument("input", metavar="FILE", help="CSV or Parquet file")
    pca.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="where to write the frame with the PCA columns (.csv, .parquet)",
    )
    pca.add_argument(
        "--components",
        type=_positive_int,
        default=2,
        metavar="K",
        help="number of principal components (default 2)",
    )
    _add_pca_options(pca)
    _add_dtype_option(pca)
    _add_validation_options(pca)
    pca.set_defaults(run=run_pca)

    plot = commands.add_parser(
        "plot", help="draw the embeddings on 2 principal components, by label"
    )
    plot.add_argument("input", metavar="FILE", help="CSV or Parquet file")
    plot.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="image file; the extension sets the format (.png, .svg, .pdf)",
    )
    plot.add_argument("--title", help="figure title instead of the default one")
    plot.add_argument(
        "--dpi",
        type=_positive_int,
        default=150,
        help="dots per inch of raster images (default 150)",
    )
    _add_pca_options(plot)
    _add_dtype_option(plot)
    _add_validation_options(plot)
    plot.set_defaults(run=run_plot)

    schema = commands.add_parser(
        "schema", help="print the JSON Schema of one row of a Lightly CSV file"
    )
    schema.set_defaults(run=run_schema)
    return parser


def _positive_int(text: str) -> int:
    """Parse an option value that must be an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {text!r}")
    return value


def _add_pca_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fraction",
        type=float,
        default=None,
        help="fit PCA on this share of the rows, in (0, 1], chosen at random; "
        "all rows by default",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="S",
        help="seed for choosing the rows with --fraction",
    )


def _add_dtype_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dtype",
        choices=DTYPES,
        default="auto",
        help="embedding dtype (default auto). auto keeps the text of every "
        "value: CSV is read as float64 and narrowed to float32 only when each "
        "value's float32 text reads back as the same number, so CSV written "
        "again is unchanged; other Parquet readers then see float32 values. "
        "Parquet input keeps its stored dtype. float32 or float64 converts to "
        "that dtype, and float32 rounds values that need more precision",
    )


def _add_validation_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-duplicates",
        action="store_true",
        help="accept the same file name on several rows",
    )
    parser.add_argument(
        "--allow-nonfinite",
        action="store_true",
        help="accept NaN and infinite embedding values",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="reject columns other than the Lightly ones",
    )


def read_any(
    path: str,
    *,
    dtype: str = "auto",
    strict: bool = False,
    allow_duplicates: bool = False,
    allow_nonfinite: bool = False,
) -> pd.DataFrame:
    """Read a CSV or Parquet file, chosen by its extension.

    ``dtype="auto"`` keeps every value: CSV text is read with
    ``read_csv(dtype="auto")`` and Parquet keeps its stored dtype.

    Raises
    ------
    UsageError
        If the extension is neither CSV nor Parquet.
    EmbeddingValueError
        If ``dtype="float32"`` turns a finite float64 Parquet value into
        infinity.
    """
    suffix = Path(path).suffix.lower()
    options: dict[str, Any] = {
        "allow_duplicates": allow_duplicates,
        "allow_nonfinite": allow_nonfinite,
    }
    if suffix in CSV_SUFFIXES:
        return read_csv(path, dtype=dtype, strict=strict, **options)  # type: ignore[arg-type]
    if suffix in PARQUET_SUFFIXES:
        frame = read_parquet(path, **options)
        if strict:
            _reject_user_columns(frame, path)
        if dtype != "auto":
            frame = _with_dtype(frame, dtype, path)
        return frame
    raise UsageError(_unknown_suffix(path))


def write_any(frame: pd.DataFrame, path: str, *, layout: str = "wide") -> None:
    """Write a CSV or Parquet file, chosen by its extension.

    Raises
    ------
    UsageError
        If the extension is neither CSV nor Parquet.
    """
    suffix = Path(path).suffix.lower()
    if suffix in CSV_SUFFIXES:
        write_csv(frame, path)
    elif suffix in PARQUET_SUFFIXES:
        write_parquet(frame, path, layout=layout)  # type: ignore[arg-type]
    else:
        raise UsageError(_unknown_suffix(path))


def _reject_user_columns(frame: pd.DataFrame, path: str) -> None:
    """Raise for user columns the way the CSV reader does in strict mode."""
    names = [str(name) for name in frame.columns]
    # A Parquet file has no header line, so the problems carry no line.
    problems = [
        Problem(None, problem.column, problem.message)
        for problem in header_problems(names, strict=True)
    ]
    if problems:
        raise EmbeddingParseError(path, problems)


def _same_file(first: str, second: str) -> bool:
    """Return whether two paths name one file, also through links."""
    if os.path.abspath(first) == os.path.abspath(second):
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:
        # stat failed on one of them, usually because OUT does not exist yet.
        # Any other reason surfaces when the file is read or written.
        return False


def _require_known_suffix(path: str) -> None:
    if Path(path).suffix.lower() not in (*CSV_SUFFIXES, *PARQUET_SUFFIXES):
        raise UsageError(_unknown_suffix(path))


def _unknown_suffix(path: str) -> str:
    known = ", ".join((*CSV_SUFFIXES, *PARQUET_SUFFIXES))
    return f"cannot tell the format of {path!r} from its extension; use one of {known}"


def _with_dtype(frame: pd.DataFrame, dtype: str, path: str) -> pd.DataFrame:
    columns = list(frame_layout(frame).embeddings)
    before = frame[columns].to_numpy()
    with np.errstate(over="ignore"):
        converted = frame.astype(dict.fromkeys(columns, dtype))
    # Values beyond the float32 maximum would silently become infinity.
    overflow = np.isfinite(before) & ~np.isfinite(converted[columns].to_numpy())
    if overflow.any():
        row, position = (int(index[0]) for index in np.nonzero(overflow))
        raise EmbeddingValueError(
            f"{path}: column {columns[position]!r}: row {row}: "
            f"{float(before[row, position])!r} is outside the {dtype} range; use "
            f"--dtype auto to keep the stored dtype."
        )
    return converted


def _validation(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "strict": args.strict,
        "allow_duplicates": args.allow_duplicates,
        "allow_nonfinite": args.allow_nonfinite,
    }


def run_check(args: argparse.Namespace) -> int:
    """Validate each file; with ``--fix``, write a cleaned copy of one file."""
    if args.fix and (args.output is None or len(args.files) != 1):
        raise UsageError("--fix needs exactly one FILE and -o OUT")
    if args.output is not None and not args.fix:
        raise UsageError("-o is only used with --fix")
    if args.fix:
        _require_known_suffix(args.output)

    status = 0
    for path in args.files:
        try:
            frame = read_any(path, dtype=args.dtype, **_validation(args))
        except EmbeddingParseError as exc:
            _print_problems(exc)
            status = 1
            continue
        except (EmbedframeError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
            continue
        layout = frame_layout(frame)
        print(f"{path}: OK, {_size(len(frame), layout.dim)}")
        if args.fix:
            keep = [FILENAMES, *layout.embeddings, *layout.extras, LABELS]
            write_any(frame[keep], args.output)
            print(f"wrote cleaned copy to {args.output}")
    return status


def run_convert(args: argparse.Namespace) -> int:
    """Convert a file between CSV and Parquet."""
    if _same_file(args.input, args.output):
        raise UsageError("IN and OUT are the same file; choose another OUT")
    _require_known_suffix(args.output)
    frame = read_any(args.input, dtype=args.dtype, **_validation(args))
    write_any(frame, args.output, layout=args.layout)
    size = _size(len(frame), frame_layout(frame).dim)
    print(f"converted {args.input} -> {args.output}: {size}")
    return 0


def run_info(args: argparse.Namespace) -> int:
    """Print a description of one file."""
    frame = read_any(args.input, dtype=args.dtype, **_validation(args))
    summary = frame.emb.describe()
    if args.json:
        print(json.dumps(summary, indent=2, allow_nan=False))
    else:
        for key, value in summary.items():
            print(f"{key}: {_info_text(value)}")
    return 0


def _size(rows: int, dim: int) -> str:
    return f"{plural(rows, 'row')}, {plural(dim, 'dimension')}"


def _info_text(value: object) -> str:
    """Format one ``info`` value: floats to 6 significant digits."""
    if value is None:
        return "not applicable"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def run_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of one row; ``schemas/`` contains a copy."""
    print(json.dumps(json_schema(), indent=2))
    return 0


def run_pca(args: argparse.Namespace) -> int:
    """Write the frame with its PCA coordinates added."""
    if _same_file(args.input, args.output):
        raise UsageError("FILE and OUT are the same file; choose another OUT")
    _require_known_suffix(args.output)
    frame = read_any(args.input, dtype=args.dtype, **_validation(args))
    model = fit_pca(
        embedding_matrix(frame),
        args.components,
        args.fraction,
        random_state=args.seed,
    )
    write_any(with_projection(frame, model), args.output)
    assert model.explained_variance_ratio is not None
    share = float(model.explained_variance_ratio.sum())
    if args.components == 1:
        columns = "column pca_0"
    else:
        columns = f"columns pca_0 .. pca_{args.components - 1}"
    print(
        f"wrote {args.output}: {plural(len(frame), 'row')} with {columns}, "
        f"{share:.1%} of the variance"
    )
    return 0


def run_plot(args: argparse.Namespace) -> int:
    """Save the 2-D PCA scatter plot of one file as an image."""
    try:
        figure_module = optional_import("matplotlib.figure", extra="plot")
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    formats = figure_module.Figure().canvas.get_supported_filetypes()
    suffix = Path(args.output).suffix.lower().removeprefix(".")
    if suffix not in formats:
        known = ", ".join(f".{name}" for name in sorted(formats))
        raise UsageError(
            f"cannot tell the image format of {args.output!r} from its "
            f"extension; use one of {known}"
        )

    frame = read_any(args.input, dtype=args.dtype, **_validation(args))
    figure = plot_pca(
        frame, fraction=args.fraction, random_state=args.seed, title=args.title
    )
    with atomic_write(args.output) as handle:
        figure.savefig(handle, format=suffix, dpi=args.dpi)
    print(f"wrote {args.output}: PCA plot of {plural(len(frame), 'embedding')}")
    return 0
