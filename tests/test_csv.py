"""Reading and writing Lightly CSV files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from strategies import embedding_frames

import embedframe
from conftest import make_embedding_frame
from embedframe import EmbeddingParseError, EmbeddingValueError
from embedframe.formats import _csv_reader
from embedframe.formats import csv as csv_format

HEADER = "filenames,embedding_0,embedding_1,labels\n"


def write(tmp_path: Path, content: str | bytes, name: str = "e.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def parse_error(path: Path, **options: object) -> EmbeddingParseError:
    with pytest.raises(EmbeddingParseError) as info:
        embedframe.read_csv(path, **options)  # type: ignore[arg-type]
    return info.value


class TestReadValid:
    def test_values_and_dtypes(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER + "a.png,0.5,-1.25,3\nb.png,2,1e-3,0\n")

        frame = embedframe.read_csv(path)

        assert frame.columns.tolist() == [
            "filenames",
            "embedding_0",
            "embedding_1",
            "labels",
        ]
        assert frame["filenames"].tolist() == ["a.png", "b.png"]
        assert frame["embedding_0"].dtype == np.float32
        assert frame["labels"].dtype == np.int64
        assert frame["labels"].tolist() == [3, 0]
        expected = np.array([[0.5, -1.25], [2.0, 0.001]], dtype=np.float32)
        np.testing.assert_array_equal(frame.emb.matrix, expected)

    def test_auto_dtype(self, tmp_path: Path) -> None:
        """'auto' keeps float32 only when the text would not change."""
        exact = write(tmp_path, HEADER + "a,0.1,2,1\n", "exact.csv")
        precise = write(
            tmp_path, HEADER + "a,0.1000000000000001,1e39,1\n", "precise.csv"
        )

        narrow = embedframe.read_csv(exact, dtype="auto")
        wide = embedframe.read_csv(precise, dtype="auto")

        assert narrow["embedding_0"].dtype == np.float32
        assert narrow.columns.tolist() == wide.columns.tolist()
        assert wide["embedding_0"].dtype == np.float64
        assert wide["embedding_0"].tolist() == [0.1000000000000001]
        assert wide["embedding_1"].tolist() == [1e39]

    def test_auto_dtype_file_round_trip(self, tmp_path: Path) -> None:
        """A float32 file written by embedframe reads back as float32."""
        frame = make_embedding_frame(20, 3)
        path = tmp_path / "e.csv"
        frame.emb.to_csv(path)

        back = embedframe.read_csv(path, dtype="auto")

        pd.testing.assert_frame_equal(back, frame)

    def test_float64_on_request(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER + "a.png,0.1,0.2,1\n")

        frame = embedframe.read_csv(path, dtype="float64")

        assert frame["embedding_0"].dtype == np.float64
        assert frame["embedding_0"].iloc[0] == 0.1

    def test_float32_rounds_once_from_text(self, tmp_path: Path) -> None:
        """Text is rounded straight to float32, never through float64."""
        # 1.00000005960464477539062 is halfway between two float32 values
        # after rounding to float64 first, so double rounding would differ.
        text = "1.000000059604644775390625000001"
        path = write(tmp_path, HEADER + f"a.png,{text},0,1\n")

        frame = embedframe.read_csv(path)

        assert frame["embedding_0"].iloc[0] == np.float32(
            np.nextafter(1, 2, dtype=np.float32)
        )

    def test_columns_found_by_name(self, tmp_path: Path) -> None:
        content = (
            "note,labels,embedding_1,filenames,selected,embedding_0,masked\n"
            "hi,3,2.5,a.png,0,1.5,1\n"
        )
        path = write(tmp_path, content)

        frame = embedframe.read_csv(path)

        assert frame.columns.tolist() == [
            "filenames",
            "embedding_0",
            "embedding_1",
            "masked",
            "selected",
            "labels",
            "note",
        ]
        np.testing.assert_array_equal(frame.emb.matrix, [[1.5, 2.5]])
        assert frame["labels"].tolist() == [3]
        assert frame["masked"].tolist() == [1]
        assert frame["note"].tolist() == ["hi"]

    def test_user_columns_keep_text(self, tmp_path: Path) -> None:
        path = write(tmp_path, "filenames,embedding_0,labels,code\na,1,0,007\n")

        frame = embedframe.read_csv(path)

        assert frame["code"].tolist() == ["007"]

    def test_bom_crlf_trailing_blank_lines(self, tmp_path: Path) -> None:
        content = b"\xef\xbb\xbf" + HEADER.replace("\n", "\r\n").encode()
        content += b"a.png,1,2,1\r\nb.png,3,4,2\r\n\r\n\r\n"
        path = write(tmp_path, content)

        frame = embedframe.read_csv(path)

        assert frame["filenames"].tolist() == ["a.png", "b.png"]
        np.testing.assert_array_equal(frame.emb.matrix, [[1, 2], [3, 4]])

    def test_no_final_newline(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER + "a.png,1,2,1")

        assert embedframe.read_csv(path)["labels"].tolist() == [1]

    @pytest.mark.parametrize("tail", ["", "\n", "\n\n"])
    def test_header_only(self, tmp_path: Path, tail: str) -> None:
        path = write(tmp_path, HEADER.rstrip("\n") + tail)

        frame = embedframe.read_csv(path)

        assert frame.shape == (0, 4)
        assert frame.emb.dim == 2
        assert frame["embedding_1"].dtype == np.float32
        assert frame["labels"].dtype == np.int64

    def test_integral_float_labels(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER + "a,1,2,1.0\nb,1,2,-3.00\nc,1,2,2e1\n")

        assert embedframe.read_csv(path)["labels"].tolist() == [1, -3, 20]

    def test_quoted_filenames(self, tmp_path: Path) -> None:
        content = HEADER + '"a,b.png",1,2,0\n"say ""hi"".png",1,2,0\n"x\ny",1,2,0\n'
        path = write(tmp_path, content)

        frame = embedframe.read_csv(path)

        assert frame["filenames"].tolist() == ["a,b.png", 'say "hi".png', "x\ny"]

    def test_nonfinite_allowed(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER + "a,nan,inf,1\nb,-inf,NaN,2\n")

        frame = embedframe.read_csv(path, allow_nonfinite=True)

        assert np.isnan(frame["embedding_0"].iloc[0])
        assert frame["embedding_1"].tolist()[0] == np.inf
        assert frame["embedding_0"].tolist()[1] == -np.inf

    def test_duplicates_allowed(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER + "a,1,2,1\na,3,4,2\n")

        frame = embedframe.read_csv(path, allow_duplicates=True)

        assert frame["filenames"].tolist() == ["a", "a"]

    def test_validate_false_skips_schema(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER + "a,nan,2,1\na,3,4,2\n")

        frame = embedframe.read_csv(path, validate=False)

        assert len(frame) == 2

    def test_matrix_is_view(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER + "a,1,2,1\nb,3,4,2\n")

        frame = embedframe.read_csv(path)

        assert np.shares_memory(frame.emb.matrix, frame.emb.matrix)
        assert np.shares_memory(frame.emb.matrix, frame["embedding_1"].to_numpy())


class TestParallelParts:
    """Files without quotes are parsed in parts on parallel threads."""

    @pytest.mark.parametrize("parts", [1, 2, 3, 7])
    def test_parts_agree(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parts: int
    ) -> None:
        frame = make_embedding_frame(97, 5)
        path = tmp_path / "e.csv"
        frame.emb.to_csv(path)
        monkeypatch.setattr(_csv_reader, "_PARTS", parts)

        back = embedframe.read_csv(path)

        pd.testing.assert_frame_equal(back, frame)

    def test_problem_in_later_part(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        rows = "".join(f"f{i},{i},1,0\n" for i in range(40))
        rows += "bad,1,x,0\n"
        path = write(tmp_path, HEADER + rows)
        monkeypatch.setattr(_csv_reader, "_PARTS", 4)

        error = parse_error(path)

        assert str(error) == (
            f"{path}:42: column 'embedding_1': expected a number, found 'x'"
        )

    @pytest.mark.parametrize("tail", ["", "\r"])
    def test_carriage_return_line_ends(self, tmp_path: Path, tail: str) -> None:
        """Old Mac files end lines with a lone carriage return."""
        path = write(tmp_path, HEADER.replace("\n", "\r") + "a,1,2,0\rb,3,4,1" + tail)

        frame = embedframe.read_csv(path)

        assert frame["filenames"].tolist() == ["a", "b"]
        np.testing.assert_array_equal(frame.emb.matrix, [[1, 2], [3, 4]])

    def test_carriage_return_problem_line(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER.replace("\n", "\r") + "a,1,2,0\rb,x,4,1\r")

        error = parse_error(path)

        assert str(error) == (
            f"{path}:3: column 'embedding_0': expected a number, found 'x'"
        )

    def test_trailing_blank_lines_in_last_part(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        rows = "".join(f"f{i},{i},1,0\n" for i in range(30))
        path = write(tmp_path, HEADER + rows + "\n\n")
        monkeypatch.setattr(_csv_reader, "_PARTS", 3)

        assert len(embedframe.read_csv(path)) == 30


class TestReviewCases:
    """Inputs where an earlier reader lost precision or misplaced a problem."""

    def test_large_labels_exact(self, tmp_path: Path) -> None:
        content = "a,0.1,0,1.0\nb,0.1,0,9007199254740993\nc,0.1,0,123456789012345678\n"
        path = write(tmp_path, HEADER + content)

        labels = embedframe.read_csv(path)["labels"].tolist()

        assert labels == [1, 9007199254740993, 123456789012345678]

    def test_labels_beyond_int64(self, tmp_path: Path) -> None:
        content = (
            "a,0.1,0,9223372036854775807\n"
            "b,0.1,0,1.0\n"
            "c,0.1,0,99999999999999999999999\n"
            "d,0.1,0,1e20\n"
        )
        path = write(tmp_path, HEADER + content)

        error = parse_error(path)

        assert str(error) == "\n".join(
            [
                f"{path}:4: column 'labels': expected an integer within int64, "
                "found '99999999999999999999999'",
                f"{path}:5: column 'labels': expected an integer, found '1e20'",
            ]
        )

    def test_decimal_labels_exact(self, tmp_path: Path) -> None:
        """Decimal text is accepted only when it denotes an integer exactly."""
        content = (
            "a,0.1,0,9007199254740993.0\nb,0.1,0,1.00000000000000001\nc,0.1,0,2e1\n"
        )
        path = write(tmp_path, HEADER + content)

        error = parse_error(path)

        assert str(error) == (
            f"{path}:3: column 'labels': expected an integer, found "
            "'1.00000000000000001'"
        )

    def test_spaces_around_numbers(self, tmp_path: Path) -> None:
        """Spaces are accepted alike on the fast and the slow path."""
        valid = write(tmp_path, HEADER + "a, 0.5,1, 2 \n", "valid.csv")
        invalid = write(tmp_path, HEADER + "a, 0.5,1, 2 \nb,abc,1,0\n", "bad.csv")

        frame = embedframe.read_csv(valid)
        error = parse_error(invalid)

        assert frame["embedding_0"].tolist() == [0.5]
        assert frame["labels"].tolist() == [2]
        assert str(error) == (
            f"{invalid}:3: column 'embedding_0': expected a number, found 'abc'"
        )

    def test_blank_line_before_ragged_row(self, tmp_path: Path) -> None:
        content = "a,0.1,2,1\nb,0.1,abc,1\nc,1,2,3\n\nd,0.1,0\n"
        path = write(tmp_path, HEADER + content)

        error = parse_error(path)

        assert str(error) == "\n".join(
            [
                f"{path}:3: column 'embedding_1': expected a number, found 'abc'",
                f"{path}:5: blank line inside the data; remove it",
                f"{path}:6: expected 4 fields, found 3",
            ]
        )

    @pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
    def test_quoted_line_break_counts(self, tmp_path: Path, end: str) -> None:
        content = f'a,0.1,0,0{end}"c{end}d",0.1,0,0{end}e,x,0,0{end}'
        path = write(tmp_path, HEADER.replace("\n", end) + content)

        error = parse_error(path)

        assert (
            str(error)
            == f"{path}:5: column 'embedding_0': expected a number, found 'x'"
        )

    def test_row_longer_than_block(self, tmp_path: Path) -> None:
        name = "x" * 3_000_000
        path = write(tmp_path, HEADER + f"{name},0.5,1,2\nb,1,2,3\n")

        frame = embedframe.read_csv(path)

        assert frame["filenames"].tolist() == [name, "b"]

    def test_long_row_problem_located(self, tmp_path: Path) -> None:
        name = "x" * 3_000_000
        path = write(tmp_path, HEADER + f"{name},zz,1,2\nb,1,2,3\n")

        error = parse_error(path)

        assert str(error) == (
            f"{path}:2: column 'embedding_0': expected a number, found 'zz'"
        )


class TestReadErrors:
    def test_empty_file(self, tmp_path: Path) -> None:
        path = write(tmp_path, "")

        error = parse_error(path)

        assert str(error) == (
            f"{path}:1: the file is empty; expected a header line starting "
            "with 'filenames'"
        )
        assert isinstance(error, RuntimeError)

    def test_directory(self, tmp_path: Path) -> None:
        with pytest.raises(
            embedframe.EmbeddingFormatError,
            match=re.escape(f"{tmp_path}: is a directory; expected a CSV file."),
        ):
            embedframe.read_csv(tmp_path)

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(FileNotFoundError):
            embedframe.read_csv(tmp_path / "absent.csv")

    def test_header_problems_together(self, tmp_path: Path) -> None:
        path = write(
            tmp_path, "filenames,embedding_0,embedding_2,embedding_01, labels\n"
        )

        error = parse_error(path)

        assert str(error) == "\n".join(
            [
                f"{path}:1: column 'embedding_01': expected 'embedding_1' "
                "without leading zeros",
                f"{path}:1: column ' labels': the name has leading or trailing "
                "whitespace",
                f"{path}:1: missing required column 'labels'",
                f"{path}:1: embedding columns must run from embedding_0 to "
                "embedding_2 without gaps; missing embedding_1",
            ]
        )

    def test_duplicate_column(self, tmp_path: Path) -> None:
        path = write(tmp_path, "filenames,embedding_0,embedding_0,labels\n")

        error = parse_error(path)

        assert str(error) == (
            f"{path}:1: column 'embedding_0': the header has 2 columns with this name"
        )

    def test_no_embedding_columns(self, tmp_path: Path) -> None:
        path = write(tmp_path, "filenames,labels\na,1\n")

        error = parse_error(path)

        assert str(error) == (
            f"{path}:1: missing embedding columns; expected embedding_0 .. "
            "embedding_<d-1>"
        )

    def test_strict_rejects_user_column(self, tmp_path: Path) -> None:
        path = write(tmp_path, "filenames,embedding_0,labels,note\na,1,0,x\n")

        error = parse_error(path, strict=True)

        assert str(error) == (
            f"{path}:1: column 'note': unexpected column (strict mode keeps only "
            "Lightly columns)"
        )

    def test_format_problems_together(self, tmp_path: Path) -> None:
        content = (
            HEADER
            + "a.png,1,2,1\n"  # line 2
            + '"x\r\ny",1,abc,1.5\n'  # lines 3-4
            + "\n"  # line 5
            + "c,1,2\n"  # line 6
            + "d,1,,3\n"  # line 7
            + "e,1,2,cat\n"  # line 8
        )
        path = write(tmp_path, content)

        error = parse_error(path)

        assert str(error) == "\n".join(
            [
                f"{path}:3: column 'embedding_1': expected a number, found 'abc'",
                f"{path}:3: column 'labels': expected an integer, found '1.5'",
                f"{path}:5: blank line inside the data; remove it",
                f"{path}:6: expected 4 fields, found 3",
                f"{path}:7: column 'embedding_1': missing value; expected a number",
                f"{path}:8: column 'labels': expected an integer, found 'cat'",
            ]
        )
        assert [problem.line for problem in error.problems] == [3, 3, 5, 6, 7, 8]

    def test_label_problem_fast_path(self, tmp_path: Path) -> None:
        """A bad label in an otherwise clean file keeps its line number."""
        path = write(tmp_path, HEADER + 'a,1,2,1\n"b\nc",1,2,2\nd,1,2,1.5\n')

        error = parse_error(path)

        assert str(error) == (
            f"{path}:5: column 'labels': expected an integer, found '1.5'"
        )

    def test_empty_label(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER + "a,1,2,\n")

        error = parse_error(path)

        assert str(error) == (
            f"{path}:2: column 'labels': expected an integer, found an empty value"
        )

    def test_masked_must_be_zero_or_one(self, tmp_path: Path) -> None:
        path = write(
            tmp_path, "filenames,embedding_0,masked,labels\na,1,2,3\nb,1,x,0\n"
        )

        error = parse_error(path)

        assert str(error) == f"{path}:3: column 'masked': expected 0 or 1, found 'x'"

    def test_masked_value_two(self, tmp_path: Path) -> None:
        path = write(tmp_path, "filenames,embedding_0,masked,labels\na,1,2,3\n")

        error = parse_error(path)

        assert str(error) == (f"{path}:2: column 'masked': expected 0 or 1, found 2")

    def test_schema_problems_located(self, tmp_path: Path) -> None:
        content = HEADER + 'a,1,2,1\n"multi\nline",1,2,3\nb,nan,2,3\nb,1,-inf,3\n'
        path = write(tmp_path, content)

        error = parse_error(path)

        assert str(error) == "\n".join(
            [
                f"{path}:5: column 'embedding_0': expected a finite number, found nan",
                f"{path}:6: column 'filenames': duplicate file name 'b', first on "
                "line 5",
                f"{path}:6: column 'embedding_1': expected a finite number, "
                "found -inf; text beyond the float32 range of about 3.4e38 also "
                "reads as inf, so try dtype='float64'",
            ]
        )

    def test_float32_overflow_hint(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER + "a,1e39,2,1\n")

        error = parse_error(path)

        assert str(error) == (
            f"{path}:2: column 'embedding_0': expected a finite number, found inf; "
            "text beyond the float32 range of about 3.4e38 also reads as inf, so "
            "try dtype='float64'"
        )
        assert embedframe.read_csv(path, dtype="float64")["embedding_0"].iloc[0] == 1e39

    def test_empty_filename(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER + '"",1,2,1\n')

        error = parse_error(path)

        assert str(error) == (
            f"{path}:2: column 'filenames': expected a non-empty file name"
        )

    def test_invalid_utf8(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER.encode() + b"\xff\xfe.png,1,2,1\n")

        error = parse_error(path)

        assert str(error) == (
            f"{path}:2: column 'filenames': expected UTF-8 text, "
            "found b'\\xff\\xfe.png'"
        )

    def test_compressed_file(self, tmp_path: Path) -> None:
        import gzip

        path = write(tmp_path, gzip.compress((HEADER + "a,1,2,0\n").encode()))

        error = parse_error(path)

        assert (
            str(error) == f"{path}:1: the file is gzip-compressed; decompress it first"
        )

    def test_parquet_file(self, tmp_path: Path, frame: pd.DataFrame) -> None:
        path = tmp_path / "e.csv"
        frame.emb.to_parquet(path)

        error = parse_error(path)

        assert str(error) == (
            f"{path}:1: the file is Parquet, not CSV; read it with read_parquet"
        )

    def test_invalid_dtype_argument(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER)

        with pytest.raises(
            EmbeddingValueError,
            match=re.escape(
                "dtype must be 'float32', 'float64' or 'auto' (got 'float16')."
            ),
        ):
            embedframe.read_csv(path, dtype="float16")  # type: ignore[arg-type]

    def test_many_problems_are_counted(self, tmp_path: Path) -> None:
        rows = "".join(f"f{i},x,2,1\n" for i in range(25))
        path = write(tmp_path, HEADER + rows)

        error = parse_error(path)

        assert len(error.problems) == 25
        assert str(error).splitlines()[-1] == "... and 5 more problems"


class TestWrite:
    def test_exact_text(self, tmp_path: Path) -> None:
        frame = embedframe.build_frame(
            np.array([[0.1, -2.0], [1e-8, 3.5]], dtype=np.float32),
            ["a,b.png", 'q"x.png'],
            [1, 22],
        )
        path = tmp_path / "out.csv"

        embedframe.write_csv(frame, path)

        assert path.read_text() == (
            HEADER + '"a,b.png",0.1,-2,1\n"q""x.png",1e-8,3.5,22\n'
        )

    def test_accessor_writes_same_bytes(
        self, tmp_path: Path, frame: pd.DataFrame
    ) -> None:
        embedframe.write_csv(frame, tmp_path / "a.csv")
        frame.emb.to_csv(tmp_path / "b.csv")

        assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()

    def test_leading_space_not_quoted(self, tmp_path: Path) -> None:
        frame = embedframe.build_frame([[1.0]], [" lead.png"], [0])
        path = tmp_path / "out.csv"

        frame.emb.to_csv(path)

        assert path.read_text().splitlines()[1] == " lead.png,1,0"
        assert embedframe.read_csv(path)["filenames"].tolist() == [" lead.png"]

    def test_extras_before_labels(self, tmp_path: Path) -> None:
        frame = embedframe.build_frame([[1.0]], ["a"], [4])
        frame["note"] = pd.Series(["x"], dtype="str")
        frame["masked"] = np.array([1])
        path = tmp_path / "out.csv"

        frame.emb.to_csv(path)

        assert path.read_text() == (
            "filenames,embedding_0,masked,labels,note\na,1,1,4,x\n"
        )

    def test_float64_shortest_text(self, tmp_path: Path) -> None:
        frame = embedframe.build_frame(np.array([[0.1, 1 / 3]]), ["a"], [0])
        path = tmp_path / "out.csv"

        frame.emb.to_csv(path)

        assert path.read_text().splitlines()[1] == "a,0.1,0.3333333333333333,0"

    def test_rejects_missing_labels(self, tmp_path: Path, frame: pd.DataFrame) -> None:
        broken = frame.astype({"labels": "float64"})
        broken.loc[0, "labels"] = np.nan

        with pytest.raises(
            EmbeddingValueError,
            match=re.escape(
                "Column 'labels' has missing values; a Lightly file needs one "
                "value per row."
            ),
        ):
            embedframe.write_csv(broken, tmp_path / "out.csv")

    def test_rejects_fractional_labels(
        self, tmp_path: Path, frame: pd.DataFrame
    ) -> None:
        broken = frame.astype({"labels": "float64"})
        broken.loc[2, "labels"] = 1.5

        with pytest.raises(
            EmbeddingValueError,
            match=re.escape(
                "labels must be integers (got dtype float64 with values such as "
                "[1.0, 3.0, 1.5])."
            ),
        ):
            embedframe.write_csv(broken, tmp_path / "out.csv", validate=False)

    def test_float_labels_hint(self, tmp_path: Path, frame: pd.DataFrame) -> None:
        floats = frame.astype({"labels": "float64"})

        with pytest.raises(
            EmbeddingValueError,
            match=re.escape(
                "The frame breaks the Lightly schema: column 'labels': expected "
                "dtype int64, found float64; convert the column with "
                ".astype('int64'). Fix the data or pass validate=False to write "
                "it anyway."
            ),
        ):
            embedframe.write_csv(floats, tmp_path / "out.csv")

    @pytest.mark.parametrize("writer", ["csv", "parquet"])
    def test_never_wraps_labels(self, tmp_path: Path, writer: str) -> None:
        """Even without validation, a label that would change is rejected."""
        frame = pd.DataFrame(
            {
                "filenames": ["a.png", "b.png"],
                "embedding_0": np.array([0.5, 1.0], dtype=np.float32),
                "masked": np.array([0, 2**64 - 1], dtype=np.uint64),
                "labels": np.array([1, 2]),
            }
        )
        path = tmp_path / f"out.{writer}"
        write = embedframe.write_csv if writer == "csv" else embedframe.write_parquet

        with pytest.raises(
            EmbeddingValueError,
            match=re.escape(
                "Column 'masked' has 18446744073709551615 at row 1, which does not "
                "fit in int64 (from -9223372036854775808 to 9223372036854775807)."
            ),
        ):
            write(frame, path, validate=False)

        assert not path.exists()

    def test_validates_by_default(self, tmp_path: Path, frame: pd.DataFrame) -> None:
        broken = frame.copy()
        broken.loc[1, "filenames"] = broken.loc[0, "filenames"]
        broken.loc[3, "embedding_2"] = np.nan
        path = tmp_path / "out.csv"

        with pytest.raises(
            EmbeddingValueError,
            match=re.escape(
                "The frame breaks the Lightly schema: column 'filenames': row 1: "
                "duplicate file name 'images/00000.png', first on row 0; column "
                "'embedding_2': row 3: expected a finite number, found nan. Fix "
                "the data or pass validate=False to write it anyway."
            ),
        ):
            embedframe.write_csv(broken, path)

        assert not path.exists()

    def test_writes_what_it_is_allowed(
        self, tmp_path: Path, frame: pd.DataFrame
    ) -> None:
        broken = frame.copy()
        broken.loc[3, "embedding_2"] = np.nan
        path = tmp_path / "out.csv"

        embedframe.write_csv(broken, path, allow_nonfinite=True)
        back = embedframe.read_csv(path, allow_nonfinite=True)

        assert np.isnan(back.loc[3, "embedding_2"])

    def test_rejects_frame_without_layout(self, tmp_path: Path) -> None:
        frame = pd.DataFrame({"embedding_0": [1.0], "labels": [0]})

        with pytest.raises(
            EmbeddingValueError,
            match=re.escape(
                "The frame is not in the Lightly layout: missing required column "
                "'filenames'."
            ),
        ):
            embedframe.write_csv(frame, tmp_path / "out.csv")

    def test_failed_write_keeps_old_file(
        self, tmp_path: Path, frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "out.csv"
        path.write_text("old content\n")

        def fail(*args: object, **kwargs: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(csv_format, "format_lines", fail)
        with pytest.raises(OSError, match="disk full"):
            embedframe.write_csv(frame, path)

        assert path.read_text() == "old content\n"
        assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]

    def test_many_chunks_in_order(self, tmp_path: Path) -> None:
        """Frames larger than one formatting chunk keep row order."""
        rng = np.random.default_rng(7)
        matrix = rng.standard_normal((5000, 300)).astype(np.float32)
        frame = embedframe.build_frame(matrix, [f"f{i}" for i in range(5000)], None)
        path = tmp_path / "big.csv"

        frame.emb.to_csv(path)
        back = embedframe.read_csv(path)

        assert back["filenames"].tolist() == frame["filenames"].tolist()
        np.testing.assert_array_equal(back.emb.matrix, matrix)


class TestRoundTrip:
    @given(embedding_frames())
    def test_bit_exact(self, frame: pd.DataFrame) -> None:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "e.csv"
            frame.emb.to_csv(path)
            dtype = str(frame["embedding_0"].dtype)
            back = embedframe.read_csv(path, dtype=dtype)  # type: ignore[arg-type]

        pd.testing.assert_frame_equal(back, frame)
        bits = np.uint32 if dtype == "float32" else np.uint64
        np.testing.assert_array_equal(
            back.emb.matrix.view(bits), frame.emb.matrix.view(bits)
        )

    def test_write_read_write_same_bytes(self, tmp_path: Path) -> None:
        frame = embedframe.build_frame(
            np.array([[-0.0, 1.5e-45, 3.4028235e38]], dtype=np.float32), ["a"], [7]
        )
        first = tmp_path / "1.csv"
        second = tmp_path / "2.csv"

        frame.emb.to_csv(first)
        embedframe.read_csv(first).emb.to_csv(second)

        assert first.read_bytes() == second.read_bytes()
        assert first.read_text().splitlines()[1] == "a,-0,1e-45,3.4028235e+38,7"
