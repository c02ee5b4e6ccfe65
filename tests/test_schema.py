"""The pandera schemas and the JSON Schema copy in schemas/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pandera.typing import DataFrame

import embedframe
from conftest import make_embedding_frame
from embedframe import LightlyEmbeddings, LightlyEmbeddings64, embedding_schema
from embedframe.schema import json_schema, satisfies_schema

SCHEMA_FILE = Path(__file__).parents[1] / "schemas" / "lightly-embeddings.schema.json"


def failures(error: pandera.errors.SchemaErrors) -> list[tuple[str, str, object]]:
    cases = error.failure_cases
    return [
        (str(row.column), str(row.check), row.index)
        for row in cases.itertuples(index=False)
    ]


class TestModel:
    def test_valid_frame(self, frame: pd.DataFrame) -> None:
        assert LightlyEmbeddings.validate(frame) is not None

    def test_float64_model(self) -> None:
        frame = make_embedding_frame(3, 2, dtype="float64")

        LightlyEmbeddings64.validate(frame)
        with pytest.raises(pandera.errors.SchemaError):
            LightlyEmbeddings.validate(frame)

    def test_reports_every_failure(self, frame: pd.DataFrame) -> None:
        broken = frame.copy()
        broken.loc[1, "filenames"] = broken.loc[0, "filenames"]
        broken.loc[2, "embedding_3"] = np.nan
        broken.loc[4, "embedding_0"] = np.inf

        with pytest.raises(pandera.errors.SchemaErrors) as info:
            LightlyEmbeddings.validate(broken, lazy=True)

        assert failures(info.value) == [
            ("filenames", "field_uniqueness", 0),
            ("filenames", "field_uniqueness", 1),
            ("embedding_0", "embeddings_are_finite", 4),
            ("embedding_3", "embeddings_are_finite", 2),
        ]

    def test_gap_in_embedding_columns(self, frame: pd.DataFrame) -> None:
        broken = frame.drop(columns=["embedding_1"])

        with pytest.raises(pandera.errors.SchemaErrors) as info:
            LightlyEmbeddings.validate(broken, lazy=True)

        assert failures(info.value) == [
            ("LightlyEmbeddings", "embedding_columns_are_contiguous", None)
        ]

    def test_typed_signature(self, frame: pd.DataFrame) -> None:
        """The model works as a type in a checked function signature."""
        import pandera.pandas as pa

        @pa.check_types
        def first_label(df: DataFrame[LightlyEmbeddings]) -> int:
            return int(df["labels"].iloc[0])

        assert first_label(frame) == int(frame["labels"].iloc[0])
        with pytest.raises(pandera.errors.SchemaError):
            first_label(frame.drop(columns=["labels"]))


class TestFactory:
    def test_columns(self) -> None:
        schema = embedding_schema(2)

        assert list(schema.columns) == [
            "filenames",
            "embedding_0",
            "embedding_1",
            "masked",
            "selected",
            "labels",
        ]

    def test_opt_outs(self, frame: pd.DataFrame) -> None:
        broken = frame.copy()
        broken.loc[1, "filenames"] = broken.loc[0, "filenames"]
        broken.loc[2, "embedding_3"] = np.nan

        embedding_schema(4, allow_duplicates=True, allow_nonfinite=True).validate(
            broken
        )

    def test_strict_rejects_user_column(self, frame: pd.DataFrame) -> None:
        extended = frame.assign(note="x")

        with pytest.raises(pandera.errors.SchemaErrors) as info:
            embedding_schema(4, strict=True).validate(extended, lazy=True)

        assert failures(info.value)[0][:2] == (
            "lightly_embeddings_4d_float32",
            "column_in_schema",
        )

    def test_masked_values(self, frame: pd.DataFrame) -> None:
        marked = frame.assign(masked=np.array([0, 1, 2, 0, 1, 0]))

        with pytest.raises(pandera.errors.SchemaErrors) as info:
            embedding_schema(4).validate(marked, lazy=True)

        assert failures(info.value) == [("masked", "isin([0, 1])", 2)]

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            ({"dim": -1}, "dim must be at least 0 (got -1)."),
            (
                {"dim": 2, "dtype": "float16"},
                "dtype must be 'float32' or 'float64' (got 'float16').",
            ),
        ],
    )
    def test_invalid_arguments(
        self, arguments: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ValueError, match=re.escape(message)):
            embedding_schema(**arguments)  # type: ignore[arg-type]


class TestValidate:
    def test_returns_frame_unchanged(self, frame: pd.DataFrame) -> None:
        frame.attrs["source"] = "test"
        before = frame.copy()

        result = embedframe.validate(frame)

        assert result is frame
        pd.testing.assert_frame_equal(frame, before)
        assert frame.attrs == {"source": "test"}

    def test_rejects_integer_embeddings(self) -> None:
        frame = pd.DataFrame({"filenames": ["a"], "embedding_0": [1], "labels": [0]})

        with pytest.raises(
            embedframe.EmbeddingValueError,
            match=re.escape(
                "embedding columns must be float32 or float64 (got int64)."
            ),
        ):
            embedframe.validate(frame)

    def test_pandera_errors_pass_through(self, frame: pd.DataFrame) -> None:
        broken = frame.copy()
        broken.loc[0, "embedding_0"] = np.nan

        with pytest.raises(pandera.errors.SchemaErrors):
            embedframe.validate(broken)

    @given(
        rows=st.lists(
            st.tuples(
                st.sampled_from(["a", "b", "c", ""]),
                st.sampled_from([0.0, 1.5, np.nan, np.inf]),
                st.sampled_from([0, 1, 2]),
            ),
            max_size=6,
        ),
        allow_duplicates=st.booleans(),
        allow_nonfinite=st.booleans(),
    )
    def test_shortcut_agrees_with_schema(
        self,
        rows: list[tuple[str, float, int]],
        allow_duplicates: bool,
        allow_nonfinite: bool,
    ) -> None:
        """satisfies_schema is True exactly when pandera accepts the frame."""
        frame = pd.DataFrame(
            {
                "filenames": pd.Series([r[0] for r in rows], dtype="str"),
                "embedding_0": np.array([r[1] for r in rows], dtype=np.float32),
                "masked": np.array([r[2] for r in rows], dtype=np.int64),
                "labels": np.zeros(len(rows), dtype=np.int64),
            }
        )
        options = {
            "allow_duplicates": allow_duplicates,
            "allow_nonfinite": allow_nonfinite,
        }
        schema = embedding_schema(1, **options)
        try:
            schema.validate(frame, lazy=True)
            accepted = True
        except pandera.errors.SchemaErrors:
            accepted = False

        shortcut = satisfies_schema(frame, ["embedding_0"], dtype="float32", **options)

        assert shortcut == accepted


class TestJsonSchema:
    def test_file_matches_code(self) -> None:
        """schemas/ is regenerated with `make schemas` when the rules change."""
        assert json.loads(SCHEMA_FILE.read_text()) == json_schema()

    def test_embedding_pattern(self) -> None:
        pattern = next(iter(json_schema()["patternProperties"]))

        assert re.fullmatch(pattern, "embedding_12")
        assert not re.fullmatch(pattern, "embedding_012")
        assert not re.fullmatch(pattern, "embedding_1_old")
