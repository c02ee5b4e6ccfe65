"""Header parsing: which column plays which role."""

from __future__ import annotations

import pytest

from embedframe._layout import Layout, header_problems, resolve_layout
from embedframe.errors import Problem


class TestResolveLayout:
    def test_orders_embeddings_by_index(self) -> None:
        names = ["labels", "embedding_10", "filenames"]
        names += [f"embedding_{i}" for i in range(10)]

        layout = resolve_layout(names)

        assert layout.embeddings == tuple(f"embedding_{i}" for i in range(11))
        assert layout.dim == 11

    def test_separates_extras_and_user_columns(self) -> None:
        names = [
            "selected",
            "filenames",
            "embedding_0",
            "labels_v2",
            "embedding_1_old",
            "masked",
            "labels",
        ]

        layout = resolve_layout(names)

        assert layout.extras == ("masked", "selected")
        assert layout.user == ("labels_v2", "embedding_1_old")
        assert layout.columns == [
            "filenames",
            "embedding_0",
            "masked",
            "selected",
            "labels",
            "labels_v2",
            "embedding_1_old",
        ]

    def test_strict_drops_user_columns(self) -> None:
        layout = resolve_layout(
            ["filenames", "embedding_0", "labels", "x"], strict=True
        )

        assert layout.user == ()

    def test_for_dim(self) -> None:
        assert Layout.for_dim(3).columns == [
            "filenames",
            "embedding_0",
            "embedding_1",
            "embedding_2",
            "labels",
        ]


class TestHeaderProblems:
    def test_valid_header(self) -> None:
        assert header_problems(["filenames", "embedding_0", "labels", "note"]) == []

    @pytest.mark.parametrize(
        ("names", "expected"),
        [
            (
                ["filenames", "embedding_0"],
                [Problem(1, None, "missing required column 'labels'")],
            ),
            (
                ["embedding_0", "labels"],
                [Problem(1, None, "missing required column 'filenames'")],
            ),
            (
                ["filenames", "embedding_1", "labels"],
                [
                    Problem(
                        1,
                        None,
                        "embedding columns must run from embedding_0 to "
                        "embedding_1 without gaps; missing embedding_0",
                    )
                ],
            ),
            (
                ["filenames", "embedding_0", "embedding_00", "labels"],
                [
                    Problem(
                        1,
                        "embedding_00",
                        "expected 'embedding_0' without leading zeros",
                    )
                ],
            ),
            (
                ["filenames", "embedding_0", "labels", "labels"],
                [Problem(1, "labels", "the header has 2 columns with this name")],
            ),
            (
                ["filenames ", "embedding_0", "labels"],
                [
                    Problem(
                        1, "filenames ", "the name has leading or trailing whitespace"
                    ),
                    Problem(1, None, "missing required column 'filenames'"),
                ],
            ),
        ],
    )
    def test_problem(self, names: list[str], expected: list[Problem]) -> None:
        assert header_problems(names) == expected

    def test_gap_list_is_shortened(self) -> None:
        names = ["filenames", "labels", "embedding_0", "embedding_9"]

        problems = header_problems(names)

        assert problems == [
            Problem(
                1,
                None,
                "embedding columns must run from embedding_0 to embedding_9 "
                "without gaps; missing embedding_1, embedding_2, embedding_3, "
                "embedding_4, embedding_5 and 3 more",
            )
        ]

    def test_strict_reports_user_columns(self) -> None:
        problems = header_problems(
            ["filenames", "embedding_0", "labels", "note"], strict=True
        )

        assert problems == [
            Problem(
                1,
                "note",
                "unexpected column (strict mode keeps only Lightly columns)",
            )
        ]
