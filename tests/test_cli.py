"""The command line, run in-process through embedframe.cli.main."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import embedframe
from conftest import make_embedding_frame
from embedframe.cli import main

VALID = "filenames,embedding_0,embedding_1,labels\na.png,0.5,1,2\nb.png,-1,0.25,3\n"
#: Three problems on two lines: a bad number, a missing number, a bad label.
INVALID = "filenames,embedding_0,labels,note\na.png,x,0,n\nb.png,,1.5,m\n"


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return str(path)


def missing_message(path: str) -> str:
    """Return the OS error text for a missing file, as the CLI prints it."""
    return f"[Errno {errno.ENOENT}] {os.strerror(errno.ENOENT)}: {path!r}"


def canonical_csv(folder: Path, dtype: str) -> str:
    """Write a CSV file in the form write_csv produces and return its path."""
    frame = make_embedding_frame(5, 3, dtype=dtype)
    frame.insert(4, "masked", np.array([0, 1, 0, 0, 1], dtype=np.int64))
    frame["note"] = pd.Series(["a", "b,c", 'say "hi"', "", "e"], dtype="str")
    path = str(folder / "in.csv")
    embedframe.write_csv(frame, path)
    return path


# check


def test_check_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "e.csv", VALID)

    status = main(["check", path])

    output = capsys.readouterr()
    assert status == 0
    assert output.out == f"{path}: OK, 2 rows, 2 dimensions\n"
    assert output.err == ""


def test_check_lists_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "e.csv", INVALID)

    status = main(["check", path])

    output = capsys.readouterr()
    assert status == 1
    assert output.out == ""
    assert output.err.splitlines() == [
        f"error: {path}:2: column 'embedding_0': expected a number, found 'x'",
        f"error: {path}:3: column 'embedding_0': missing value; expected a number",
        f"error: {path}:3: column 'labels': expected an integer, found '1.5'",
    ]


@pytest.mark.parametrize(
    ("bad_rows", "last_line"),
    [(100, None), (101, "1 more problem"), (250, "150 more problems")],
    ids=["at-limit", "one-more", "many-more"],
)
def test_check_caps_problem_lines(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    bad_rows: int,
    last_line: str | None,
) -> None:
    """At most 100 problems are printed per file, then one line counts the rest."""
    rows = "".join(f"f{i}.png,x,0\n" for i in range(bad_rows))
    path = write(tmp_path, "e.csv", "filenames,embedding_0,labels\n" + rows)
    other = write(tmp_path, "other.csv", "filenames,embedding_0,labels\n" + rows)

    status = main(["check", path, other])

    lines = capsys.readouterr().err.splitlines()
    expected = [
        f"error: {path}:{line}: column 'embedding_0': expected a number, found 'x'"
        for line in range(2, min(bad_rows, 100) + 2)
    ]
    if last_line is not None:
        expected.append(f"error: {path}: ... and {last_line}")
    assert status == 1
    assert lines[: len(expected)] == expected
    assert len(lines) == 2 * len(expected)
    assert lines[len(expected)].startswith(f"error: {other}:2: ")


def test_convert_caps_problem_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = "".join(f"f{i}.png,x,0\n" for i in range(130))
    path = write(tmp_path, "e.csv", "filenames,embedding_0,labels\n" + rows)

    status = main(["convert", path, str(tmp_path / "out.parquet")])

    lines = capsys.readouterr().err.splitlines()
    assert status == 1
    assert len(lines) == 101
    assert lines[-1] == f"error: {path}: ... and 30 more problems"


def test_check_several_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every file is checked, and one bad file makes the exit status 1."""
    valid = write(tmp_path, "valid.csv", VALID)
    invalid = write(tmp_path, "invalid.csv", "filenames,embedding_0\na.png,1\n")
    missing = str(tmp_path / "missing.csv")
    parquet = str(tmp_path / "valid.parquet")
    embedframe.write_parquet(embedframe.read_csv(valid), parquet, layout="list")

    status = main(["check", valid, invalid, missing, parquet])

    output = capsys.readouterr()
    assert status == 1
    assert output.out.splitlines() == [
        f"{valid}: OK, 2 rows, 2 dimensions",
        f"{parquet}: OK, 2 rows, 2 dimensions",
    ]
    assert output.err.splitlines() == [
        f"error: {invalid}:1: missing required column 'labels'",
        f"error: {missing_message(missing)}",
    ]


def test_check_parquet_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Schema problems in a Parquet file are listed, located by row."""
    matrix = np.array([[1.0], [np.nan], [2.0]], dtype=np.float32)
    frame = embedframe.build_frame(matrix, ["a", "b", "a"], [0, 1, 2], validate=False)
    path = str(tmp_path / "e.parquet")
    embedframe.write_parquet(frame, path, validate=False)

    status = main(["check", path])

    output = capsys.readouterr()
    assert status == 1
    assert output.err.splitlines() == [
        f"error: {path}: column 'filenames': row 2: duplicate file name 'a', "
        f"first on row 0",
        f"error: {path}: column 'embedding_0': row 1: expected a finite number, "
        f"found nan",
    ]


def test_check_allow_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "e.csv",
        "filenames,embedding_0,labels\na.png,nan,0\na.png,1,1\n",
    )

    status = main(["check", path, "--allow-duplicates", "--allow-nonfinite"])

    assert status == 0
    assert capsys.readouterr().out == f"{path}: OK, 2 rows, 1 dimension\n"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_check_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    """--strict rejects a user column and names the file."""
    csv = write(tmp_path, "in.csv", "filenames,embedding_0,labels,note\na.png,1,0,x\n")
    path = str(tmp_path / f"e{suffix}")
    if suffix == ".parquet":
        embedframe.write_parquet(embedframe.read_csv(csv), path)
    else:
        os.replace(csv, path)
    where = f"{path}:1" if suffix == ".csv" else path

    status = main(["check", path, "--strict"])

    assert status == 1
    assert capsys.readouterr().err == (
        f"error: {where}: column 'note': unexpected column (strict mode keeps "
        f"only Lightly columns)\n"
    )


def test_check_fix_writes_clean_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--fix writes canonical order and numbers, LF, no BOM, no user columns."""
    path = tmp_path / "in.csv"
    path.write_bytes(
        b"\xef\xbb\xbffilenames,embedding_1,embedding_0,masked,labels,note\r\n"
        b"b.png,1.50,2.0,0,3,hi\r\n"
        b'"a,b",1e0,-0.0,1,4.0,x\r\n'
    )
    out = tmp_path / "clean.csv"

    status = main(["check", str(path), "--fix", "-o", str(out)])

    output = capsys.readouterr()
    assert status == 0
    assert output.out == (
        f"{path}: OK, 2 rows, 2 dimensions\nwrote cleaned copy to {out}\n"
    )
    assert out.read_bytes() == (
        b"filenames,embedding_0,embedding_1,masked,labels\n"
        b"b.png,2,1.5,0,3\n"
        b'"a,b",-0,1,1,4\n'
    )


def test_check_fix_keeps_float64(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--fix writes float64 values back exactly instead of rounding them."""
    path = write(
        tmp_path,
        "in.csv",
        "filenames,embedding_0,embedding_1,labels\n"
        "a.png,-0.1321048632913019,5e-324,0\n"
        "b.png,1e39,0.5,1\n",
    )
    out = tmp_path / "clean.csv"

    status = main(["check", path, "--fix", "-o", str(out)])

    assert status == 0
    assert out.read_text() == (
        "filenames,embedding_0,embedding_1,labels\n"
        "a.png,-0.1321048632913019,5e-324,0\n"
        "b.png,1e+39,0.5,1\n"
    )


def test_check_dtype_float32(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """1e39 is valid by default and overflows only when float32 is requested."""
    path = write(
        tmp_path,
        "in.csv",
        "filenames,embedding_0,embedding_1,labels\na.png,1e39,0,0\nb.png,1,2,1\n",
    )

    default = main(["check", path])
    default_output = capsys.readouterr()
    narrow = main(["check", path, "--dtype", "float32"])
    narrow_output = capsys.readouterr()

    assert default == 0
    assert default_output.out == f"{path}: OK, 2 rows, 2 dimensions\n"
    assert narrow == 1
    assert narrow_output.err.startswith(f"error: {path}:2: column 'embedding_0': ")


def test_check_and_convert_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One row and one dimension are not written as '1 rows, 1 dimensions'."""
    path = write(tmp_path, "e.csv", "filenames,embedding_0,labels\na.png,1,0\n")
    target = str(tmp_path / "e.parquet")

    checked = main(["check", path])
    converted = main(["convert", path, target])

    assert checked == 0
    assert converted == 0
    assert capsys.readouterr().out == (
        f"{path}: OK, 1 row, 1 dimension\n"
        f"converted {path} -> {target}: 1 row, 1 dimension\n"
    )


def test_check_fix_to_parquet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "in.csv", "filenames,embedding_0,labels,note\na.png,1,0,x\n")
    out = str(tmp_path / "clean.parquet")

    status = main(["check", path, "--fix", "-o", out])

    assert status == 0
    assert embedframe.read_parquet(out).columns.tolist() == [
        "filenames",
        "embedding_0",
        "labels",
    ]


def test_check_fix_invalid_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "in.csv", INVALID)
    out = tmp_path / "clean.csv"

    status = main(["check", path, "--fix", "-o", str(out)])

    assert status == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--fix"], "--fix needs exactly one FILE and -o OUT"),
        (
            ["other.csv", "--fix", "-o", "out.csv"],
            "--fix needs exactly one FILE and -o OUT",
        ),
        (["-o", "out.csv"], "-o is only used with --fix"),
        (
            ["--fix", "-o", "out.txt"],
            "cannot tell the format of 'out.txt' from its extension; use one of "
            ".csv, .parquet, .pq",
        ),
    ],
    ids=["fix-without-output", "fix-several-files", "output-without-fix", "fix-txt"],
)
def test_check_fix_usage_errors(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    """Usage errors exit 2 before any file is read or written."""
    path = write(tmp_path, "in.csv", VALID)

    status = main(["check", path, *arguments])

    output = capsys.readouterr()
    assert status == 2
    assert output.out == ""
    assert output.err == f"error: {message}\n"
    assert os.listdir(tmp_path) == ["in.csv"]


def test_check_unknown_extension(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "e.txt", VALID)

    status = main(["check", path])

    assert status == 2
    assert capsys.readouterr().err == (
        f"error: cannot tell the format of {path!r} from its extension; use one "
        f"of .csv, .parquet, .pq\n"
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_check_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    """A missing file exits 1 with the OS message and no traceback."""
    path = str(tmp_path / f"missing{suffix}")

    status = main(["check", path])

    assert status == 1
    assert capsys.readouterr().err == f"error: {missing_message(path)}\n"


def test_check_not_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "e.parquet", VALID)

    status = main(["check", path])

    error = capsys.readouterr().err
    assert status == 1
    assert error.startswith(f"error: {path}: not a readable Parquet file: ")
    assert error.count("\n") == 1
    assert "Traceback" not in error


def test_check_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A directory named like a Parquet file is rejected, not merged."""
    source = write(tmp_path, "in.csv", VALID)
    folder = tmp_path / "e.parquet"
    folder.mkdir()
    embedframe.write_parquet(embedframe.read_csv(source), folder / "part.parquet")

    status = main(["check", str(folder)])

    output = capsys.readouterr()
    assert status == 1
    assert output.out == ""
    assert output.err == (
        f"error: {folder} is a directory; expected a Parquet file. Pass the "
        f"path of one file.\n"
    )


# convert


@pytest.mark.parametrize("layout", ["wide", "list"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_convert_round_trip_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], layout: str, dtype: str
) -> None:
    """CSV to Parquet and back gives the same bytes, for either layout."""
    source = canonical_csv(tmp_path, dtype)
    parquet = str(tmp_path / "e.parquet")
    back = str(tmp_path / "back.csv")

    first = main(["convert", source, parquet, "--layout", layout, "--dtype", dtype])
    second = main(["convert", parquet, back])

    assert first == 0
    assert second == 0
    assert Path(back).read_bytes() == Path(source).read_bytes()
    assert capsys.readouterr().out == (
        f"converted {source} -> {parquet}: 5 rows, 3 dimensions\n"
        f"converted {parquet} -> {back}: 5 rows, 3 dimensions\n"
    )


def test_convert_list_layout_written(tmp_path: Path) -> None:
    source = canonical_csv(tmp_path, "float32")
    parquet = str(tmp_path / "e.pq")

    status = main(["convert", source, parquet, "--layout", "list"])

    assert status == 0
    expected = embedframe.read_csv(source, dtype="auto")
    assert embedframe.read_parquet(parquet).equals(expected)
    assert "embedding" in pd.read_parquet(parquet).columns


@pytest.mark.parametrize(
    ("text", "dtype"),
    [
        ("0.5,0\nb.png,-2", "float32"),
        ("0.1000000000000001,0\nb.png,-2", "float64"),
        ("5e-324,0\nb.png,-2", "float64"),
        ("1e39,0\nb.png,-2", "float64"),
    ],
    ids=["exact-float32", "decimal", "subnormal", "above-float32-max"],
)
def test_convert_csv_defaults_to_auto(tmp_path: Path, text: str, dtype: str) -> None:
    """Without --dtype, CSV values are kept: float32 only if nothing changes."""
    source = write(
        tmp_path, "in.csv", f"filenames,embedding_0,labels\na.png,{text},1\n"
    )
    parquet = str(tmp_path / "e.parquet")

    status = main(["convert", source, parquet])

    result = embedframe.read_parquet(parquet)["embedding_0"]
    assert status == 0
    assert result.dtype == np.dtype(dtype)
    assert result.tolist() == [float(text.split(",")[0]), -2.0]


def test_convert_keeps_float32_text(tmp_path: Path) -> None:
    """Text that float32 writes back unchanged is stored as float32."""
    text = "filenames,embedding_0,labels\na.png,0.1,1\nb.png,-2.5e-8,0\n"
    source = write(tmp_path, "in.csv", text)
    parquet = str(tmp_path / "e.parquet")
    back = tmp_path / "back.csv"

    first = main(["convert", source, parquet])
    second = main(["convert", parquet, str(back)])

    assert (first, second) == (0, 0)
    assert embedframe.read_parquet(parquet)["embedding_0"].dtype == np.float32
    assert back.read_text() == text


def test_convert_keeps_float64_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CSV -> Parquet -> CSV keeps float64 text that float32 would round."""
    text = (
        "filenames,embedding_0,embedding_1,labels\n"
        "a.png,-0.1321048632913019,5e-324,0\n"
        "b.png,1e+39,0.5,1\n"
    )
    source = write(tmp_path, "in.csv", text)
    parquet = str(tmp_path / "e.parquet")
    back = tmp_path / "back.csv"

    first = main(["convert", source, parquet])
    second = main(["convert", parquet, str(back)])

    assert first == 0
    assert second == 0
    assert back.read_text() == text


def test_convert_float32_rounds(tmp_path: Path) -> None:
    """--dtype float32 converts CSV input, rounding as requested."""
    source = write(tmp_path, "in.csv", "filenames,embedding_0,labels\na.png,0.1,0\n")
    parquet = str(tmp_path / "e.parquet")

    status = main(["convert", source, parquet, "--dtype", "float32"])

    result = embedframe.read_parquet(parquet)["embedding_0"]
    assert status == 0
    assert result.dtype == np.float32
    assert result.tolist() == [float(np.float32(0.1))]


@pytest.mark.parametrize(
    ("option", "dtype"),
    [
        ([], "float64"),
        (["--dtype", "auto"], "float64"),
        (["--dtype", "float32"], "float32"),
    ],
    ids=["default", "auto", "float32"],
)
def test_convert_parquet_dtype(tmp_path: Path, option: list[str], dtype: str) -> None:
    """Parquet keeps its stored dtype unless --dtype names one."""
    frame = make_embedding_frame(4, 2, dtype="float64")
    source = str(tmp_path / "in.parquet")
    target = str(tmp_path / "out.parquet")
    embedframe.write_parquet(frame, source)

    status = main(["convert", source, target, *option])

    result = embedframe.read_parquet(target)
    assert status == 0
    assert result.emb.to_numpy().dtype == np.dtype(dtype)
    np.testing.assert_array_equal(
        result.emb.to_numpy(), frame.emb.to_numpy().astype(dtype)
    )


def test_convert_parquet_float32_overflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Narrowing a value above the float32 maximum is an error, not inf."""
    matrix = np.array([[1.0, 2.0], [3.0, 1e39]])
    frame = embedframe.build_frame(matrix, ["a.png", "b.png"], [0, 1])
    source = str(tmp_path / "in.parquet")
    target = tmp_path / "out.parquet"
    embedframe.write_parquet(frame, source)

    status = main(["convert", source, str(target), "--dtype", "float32"])

    assert status == 1
    assert capsys.readouterr().err == (
        f"error: {source}: column 'embedding_1': row 1: 1e+39 is outside the "
        f"float32 range; use --dtype auto to keep the stored dtype.\n"
    )
    assert not target.exists()


@pytest.mark.parametrize(
    ("source", "target", "bad"),
    [("in.txt", "out.parquet", "in.txt"), ("in.csv", "out.json", "out.json")],
    ids=["input", "output"],
)
def test_convert_unknown_extension(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    source: str,
    target: str,
    bad: str,
) -> None:
    write(tmp_path, source, VALID)
    bad_path = str(tmp_path / bad)

    status = main(["convert", str(tmp_path / source), str(tmp_path / target)])

    assert status == 2
    assert capsys.readouterr().err == (
        f"error: cannot tell the format of {bad_path!r} from its extension; use "
        f"one of .csv, .parquet, .pq\n"
    )
    assert not (tmp_path / target).exists()


def test_convert_same_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "e.csv", VALID)
    same = str(tmp_path / "." / "e.csv")

    status = main(["convert", path, same])

    assert status == 2
    assert capsys.readouterr().err == (
        "error: IN and OUT are the same file; choose another OUT\n"
    )
    assert Path(path).read_text() == VALID


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_convert_same_file_through_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], link: str
) -> None:
    """A link to IN is the same file, so writing OUT would overwrite IN."""
    path = write(tmp_path, "e.csv", VALID)
    linked = tmp_path / "link.csv"
    if link == "symlink":
        linked.symlink_to(path)
    else:
        os.link(path, linked)

    status = main(["convert", path, str(linked)])

    assert status == 2
    assert capsys.readouterr().err == (
        "error: IN and OUT are the same file; choose another OUT\n"
    )
    assert Path(path).read_text() == VALID
    assert linked.is_symlink() == (link == "symlink")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_convert_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    path = str(tmp_path / f"missing{suffix}")
    target = tmp_path / "out.csv" if suffix == ".parquet" else tmp_path / "out.pq"

    status = main(["convert", path, str(target)])

    assert status == 1
    assert capsys.readouterr().err == f"error: {missing_message(path)}\n"
    assert not target.exists()


def test_convert_invalid_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "in.csv", INVALID)
    target = tmp_path / "out.parquet"

    status = main(["convert", path, str(target)])

    assert status == 1
    assert len(capsys.readouterr().err.splitlines()) == 3
    assert not target.exists()


# Program-level behaviour


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--version"])

    assert status == 0
    assert capsys.readouterr().out == f"embedframe {embedframe.__version__}\n"


def test_no_command(capsys: pytest.CaptureFixture[str]) -> None:
    status = main([])

    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith("usage: embedframe")
    assert error.endswith("error: a command is required\n")


def test_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["merge", "a.csv"])

    assert status == 2
    assert "invalid choice: 'merge'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["check", "convert", "info", "pca", "plot"])
def test_dtype_option_everywhere(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every command that reads files takes --dtype, defaulting to auto."""
    status = main([command, "--help"])

    output = " ".join(capsys.readouterr().out.split())
    assert status == 0
    assert "--dtype {auto,float32,float64}" in output
    assert "embedding dtype (default auto)" in output


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["convert", "--help"])

    assert status == 0
    assert "--layout {wide,list}" in capsys.readouterr().out


def test_module_entry_point() -> None:
    """python -m embedframe runs the same command line."""
    result = subprocess.run(
        [sys.executable, "-m", "embedframe", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0
    assert result.stdout == f"embedframe {embedframe.__version__}\n"
    assert result.stderr == ""


# info


@pytest.mark.skipif(
    not hasattr(embedframe.EmbeddingAccessor, "describe"),
    reason="EmbeddingAccessor.describe, which info prints, does not exist yet",
)
def test_info_valid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = canonical_csv(tmp_path, "float32")

    status = main(["info", path])

    output = capsys.readouterr()
    assert status == 0
    assert output.out != ""
    assert output.err == ""


def test_info_text_single_class(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Statistics that need two classes print as 'not applicable'."""
    path = write(tmp_path, "one.csv", "filenames,embedding_0,labels\na,3,0\nb,4,0\n")

    code = main(["info", path])

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert "rows: 2" in lines
    assert "norm_mean: 3.5" in lines
    assert "knn_accuracy: not applicable" in lines
    assert "knn_k: not applicable" in lines


def test_convert_into_missing_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The error names the requested file and folder, not a temporary file."""
    source = write(tmp_path, "in.csv", VALID)
    target = str(tmp_path / "nodir" / "out.parquet")

    status = main(["convert", source, target])

    assert status == 1
    assert capsys.readouterr().err == (
        f"error: Cannot write {target}: the folder {tmp_path / 'nodir'} does not "
        f"exist. Create it first or choose another path.\n"
    )
    assert sorted(os.listdir(tmp_path)) == ["in.csv"]


def test_convert_onto_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path, "in.csv", VALID)
    target = tmp_path / "out.parquet"
    target.mkdir()

    status = main(["convert", source, str(target)])

    assert status == 1
    assert capsys.readouterr().err == (
        f"error: Cannot write {target}: it is a directory. Choose a file name.\n"
    )
    assert os.listdir(target) == []


@pytest.mark.parametrize(
    ("option", "dtype"),
    [([], "float64"), (["--dtype", "float32"], "float32")],
    ids=["default", "float32"],
)
def test_info_dtype(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str], dtype: str
) -> None:
    """info describes the values as read: float64 unless float32 keeps the text."""
    path = write(
        tmp_path,
        "e.csv",
        "filenames,embedding_0,labels\na,0.1000000000000001,0\nb,0.5,1\n",
    )

    code = main(["info", path, *option])

    assert code == 0
    assert f"dtype: {dtype}" in capsys.readouterr().out.splitlines()
