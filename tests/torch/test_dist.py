from __future__ import annotations

import contextlib
import datetime
import inspect
import io
import json
import os
import re
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import torch.distributed as torch_dist  # noqa: E402

from embedframe.errors import EmbeddingValueError  # noqa: E402
from embedframe.torch import dist  # noqa: E402

# ---------------------------------------------------------------------------
# Code that runs inside each rank. Every rank runs the same scenarios in the
# same order, so the collectives line up. A scenario returns JSON-ready data.
# ---------------------------------------------------------------------------


def _weights(rank: int, rows: int, cols: int) -> Any:
    """Return 1, 2, ... counted on from where the previous rank stopped."""
    start = 1 + rank * rows * cols
    return torch.arange(start, start + rows * cols, dtype=torch.float32).reshape(
        rows, cols
    )


def _gather_with_rank_loss(x: Any, rank: int, **kwargs: Any) -> dict[str, Any]:
    """Gather ``x`` and backpropagate the loss (rank + 1) * sum(w_rank * all).

    The loss differs between ranks, so a gradient that ignores the other
    ranks' losses, or scales them wrongly, gives different numbers.
    """
    x = x.clone().requires_grad_(True)
    gathered = dist.gather(x, **kwargs)
    everyone = torch.cat(gathered)
    weights = _weights(rank, *everyone.shape)
    loss = ((rank + 1) * weights * everyone).sum()
    loss.backward()
    return {
        "shapes": [list(t.shape) for t in gathered],
        "values": [t.tolist() for t in gathered],
        "grad": x.grad.tolist(),
    }


def _error_message(call: Callable[[], object]) -> str:
    try:
        call()
    except EmbeddingValueError as exc:
        return str(exc)
    return "no error"


def _scenario_identity(rank: int, world_size: int) -> dict[str, Any]:
    return {"rank": dist.rank(), "world_size": dist.world_size()}


def _scenario_equal(rank: int, world_size: int) -> dict[str, Any]:
    x = torch.tensor([[float(2 * rank + 1), float(2 * rank + 2)]])
    return _gather_with_rank_loss(x, rank)


def _scenario_uneven(rank: int, world_size: int) -> dict[str, Any]:
    # Rank r has r + 1 rows holding 10 r, 10 r + 1, ...
    x = (torch.arange(rank + 1, dtype=torch.float32) + 10 * rank).reshape(-1, 1)
    return _gather_with_rank_loss(x, rank)


def _scenario_empty_rank(rank: int, world_size: int) -> dict[str, Any]:
    rows = 0 if rank == 0 else 2
    x = torch.full((rows, 2), float(rank))
    return _gather_with_rank_loss(x, rank)


def _scenario_all_empty(rank: int, world_size: int) -> dict[str, Any]:
    x = torch.zeros(0, 3, requires_grad=True)
    gathered = dist.gather(x)
    torch.cat(gathered).sum().backward()
    return {
        "shapes": [list(t.shape) for t in gathered],
        "grad_shape": list(x.grad.shape),
    }


def _scenario_scalar(rank: int, world_size: int) -> dict[str, Any]:
    x = torch.tensor(float(rank)).requires_grad_(True)
    gathered = dist.gather(x)
    loss = sum((rank + 1) * (k + 1) * t for k, t in enumerate(gathered))
    loss.backward()
    return {"values": [t.item() for t in gathered], "grad": x.grad.item()}


def _scenario_non_contiguous(rank: int, world_size: int) -> dict[str, Any]:
    x = torch.arange(6.0).reshape(2, 3).T + 10 * rank
    return {
        "contiguous": x.is_contiguous(),
        "values": [t.tolist() for t in dist.gather(x)],
    }


def _scenario_five_dims(rank: int, world_size: int) -> dict[str, Any]:
    x = torch.full((rank + 1, 1, 1, 1, 2), float(rank))
    return {"shapes": [list(t.shape) for t in dist.gather(x)]}


def _scenario_errors(rank: int, world_size: int) -> dict[str, Any]:
    return {
        "trailing": _error_message(lambda: dist.gather(torch.zeros(2, 3 + rank))),
        "dtype": _error_message(
            lambda: dist.gather(
                torch.zeros(2, dtype=torch.float32 if rank == 0 else torch.float64)
            )
        ),
        "ndim": _error_message(
            lambda: dist.gather(torch.zeros(2) if rank == 0 else torch.zeros(2, 1))
        ),
        "five_dims": _error_message(
            lambda: dist.gather(torch.zeros(1, 1, 1, 1, 2 + rank))
        ),
    }


def _scenario_after_errors(rank: int, world_size: int) -> dict[str, Any]:
    return {"values": [t.tolist() for t in dist.gather(torch.tensor([rank]))]}


def _scenario_eye_rank(rank: int, world_size: int) -> dict[str, Any]:
    return {
        "two": dist.eye_rank(2).tolist(),
        "zero_shape": list(dist.eye_rank(0).shape),
        "device": str(dist.eye_rank(1, device="cpu").device),
    }


def _scenario_rank_zero_only(rank: int, world_size: int) -> dict[str, Any]:
    @dist.rank_zero_only
    def describe(suffix: str) -> str:
        return f"ran on rank {rank}{suffix}"

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        dist.print_rank_zero("hello", rank, sep="-")
    return {"returned": describe("!"), "printed": printed.getvalue()}


_SUBGROUP_MEMBERS = {2: [1], 3: [0, 2]}


def _scenario_subgroup(rank: int, world_size: int) -> dict[str, Any]:
    # Every rank must create the group, members or not. The group leaves
    # out one rank: rank 0 of two, rank 1 of three.
    members = _SUBGROUP_MEMBERS[world_size]
    group = torch_dist.new_group(members)
    result: dict[str, Any] = {
        "rank": dist.rank(group=group),
        "world_size": dist.world_size(group=group),
    }
    if rank in members:
        x = torch.tensor([[float(rank + 1), float(rank + 1)]])
        result["gather"] = _gather_with_rank_loss(x, rank, group=group)
        result["eye_rank"] = dist.eye_rank(1, group=group).tolist()
    else:
        x = torch.zeros(1, 2)
        result["gather_error"] = _error_message(lambda: dist.gather(x, group=group))
        result["eye_rank_error"] = _error_message(lambda: dist.eye_rank(1, group=group))
    torch_dist.destroy_process_group(group)
    return result


def _scenario_lightly(rank: int, world_size: int) -> dict[str, Any] | None:
    try:
        from lightly.utils import dist as lightly_dist
    except ImportError:
        return None
    x = torch.tensor([[float(rank), 1.0]], requires_grad=True)
    gathered = lightly_dist.gather(x)
    everyone = torch.cat(gathered)
    ((rank + 1) * _weights(rank, *everyone.shape) * everyone).sum().backward()
    return {
        "values": [t.tolist() for t in gathered],
        "grad": x.grad.tolist(),
        "ours": _gather_with_rank_loss(x.detach(), rank),
    }


_SCENARIOS: dict[str, Callable[[int, int], Any]] = {
    "identity": _scenario_identity,
    "equal": _scenario_equal,
    "uneven": _scenario_uneven,
    "empty_rank": _scenario_empty_rank,
    "all_empty": _scenario_all_empty,
    "scalar": _scenario_scalar,
    "non_contiguous": _scenario_non_contiguous,
    "five_dims": _scenario_five_dims,
    "errors": _scenario_errors,
    "after_errors": _scenario_after_errors,
    "eye_rank": _scenario_eye_rank,
    "rank_zero_only": _scenario_rank_zero_only,
    "subgroup": _scenario_subgroup,
    "lightly": _scenario_lightly,
}


def _run_rank(rank: int, world_size: int, directory: str) -> None:
    """Join the group, run every scenario and write the results as JSON."""
    out = Path(directory)
    try:
        # The library must not warn: a warning fails the rank.
        warnings.simplefilter("error")
        torch_dist.init_process_group(
            "gloo",
            init_method=f"file://{out / 'store'}",
            rank=rank,
            world_size=world_size,
            timeout=datetime.timedelta(seconds=60),
        )
        try:
            results = {name: run(rank, world_size) for name, run in _SCENARIOS.items()}
        finally:
            torch_dist.destroy_process_group()
    except BaseException:
        (out / f"rank{rank}.error").write_text(traceback.format_exc())
        raise
    partial = out / f"rank{rank}.json.partial"
    partial.write_text(json.dumps(results))
    os.replace(partial, out / f"rank{rank}.json")


# ---------------------------------------------------------------------------
# Multi-process tests: one gloo group per world size, shared by the tests.
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module", params=[2, 3], ids=["world2", "world3"])
def ranks(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    rank_runner: Any,
) -> list[dict[str, Any]]:
    world_size: int = request.param
    directory = tmp_path_factory.mktemp(f"world{world_size}")
    return rank_runner(_run_rank, world_size, directory)


def _per_rank(ranks: list[dict[str, Any]], scenario: str, key: str) -> list[Any]:
    return [result[scenario][key] for result in ranks]


def test_rank_and_world_size_in_group(ranks: list[dict[str, Any]]) -> None:
    world_size = len(ranks)

    assert _per_rank(ranks, "identity", "rank") == list(range(world_size))
    assert _per_rank(ranks, "identity", "world_size") == [world_size] * world_size


#: Hand-computed gradients for ``_gather_with_rank_loss``. With rank r's loss
#: (r + 1) * sum(w_r * gathered), the gradient of gathered row i summed over
#: ranks is sum_r (r + 1) * w_r[i], and each rank gets its own rows.
EQUAL_EXPECTED = {
    # x_r = [[2r + 1, 2r + 2]]; w_0 = [[1, 2], [3, 4]], w_1 = [[5, 6], [7, 8]].
    # Row 0: 1 * [1, 2] + 2 * [5, 6] = [11, 14]; row 1: [3, 4] + 2 * [7, 8].
    2: {
        "values": [[[1.0, 2.0]], [[3.0, 4.0]]],
        "grads": [[[11.0, 14.0]], [[17.0, 20.0]]],
    },
    # w_0 = 1..6, w_1 = 7..12, w_2 = 13..18, each as 3 rows of 2.
    # Row 0: [1, 2] + 2 * [7, 8] + 3 * [13, 14] = [54, 60].
    3: {
        "values": [[[1.0, 2.0]], [[3.0, 4.0]], [[5.0, 6.0]]],
        "grads": [[[54.0, 60.0]], [[66.0, 72.0]], [[78.0, 84.0]]],
    },
}


def test_gather_equal_sizes_values(ranks: list[dict[str, Any]]) -> None:
    expected = EQUAL_EXPECTED[len(ranks)]

    for values in _per_rank(ranks, "equal", "values"):
        assert values == expected["values"]


def test_gather_equal_sizes_gradients(
    ranks: list[dict[str, Any]],
) -> None:
    expected = EQUAL_EXPECTED[len(ranks)]

    assert _per_rank(ranks, "equal", "grad") == expected["grads"]


UNEVEN_EXPECTED = {
    # Rank 0 sends [[0]], rank 1 sends [[10], [11]]: 3 gathered rows.
    # w_0 = [1, 2, 3], w_1 = [4, 5, 6]; row i gets w_0[i] + 2 * w_1[i].
    2: {
        "shapes": [[1, 1], [2, 1]],
        "values": [[[0.0]], [[10.0], [11.0]]],
        "grads": [[[9.0]], [[12.0], [15.0]]],
    },
    # Rank 2 sends [[20], [21], [22]]: 6 gathered rows, w_r = 6r + 1 .. 6r + 6.
    # Row i gets (i + 1) + 2 (i + 7) + 3 (i + 13) = 6 i + 54.
    3: {
        "shapes": [[1, 1], [2, 1], [3, 1]],
        "values": [[[0.0]], [[10.0], [11.0]], [[20.0], [21.0], [22.0]]],
        "grads": [[[54.0]], [[60.0], [66.0]], [[72.0], [78.0], [84.0]]],
    },
}


def test_gather_uneven_sizes_keeps_each_rank_shape(
    ranks: list[dict[str, Any]],
) -> None:
    expected = UNEVEN_EXPECTED[len(ranks)]

    for shapes in _per_rank(ranks, "uneven", "shapes"):
        assert shapes == expected["shapes"]
    for values in _per_rank(ranks, "uneven", "values"):
        assert values == expected["values"]


def test_gather_uneven_sizes_gradients(ranks: list[dict[str, Any]]) -> None:
    expected = UNEVEN_EXPECTED[len(ranks)]

    assert _per_rank(ranks, "uneven", "grad") == expected["grads"]


EMPTY_RANK_EXPECTED = {
    # Rank 0 sends no rows, rank 1 sends [[1, 1], [1, 1]]. Rank 1 gets
    # w_0 + 2 * w_1 = [[1, 2], [3, 4]] + 2 * [[5, 6], [7, 8]].
    2: {
        "shapes": [[0, 2], [2, 2]],
        "values": [[], [[1.0, 1.0], [1.0, 1.0]]],
        "grads": [[], [[11.0, 14.0], [17.0, 20.0]]],
    },
    # 4 gathered rows; element e (1-based, row-major) of the summed gradient
    # is e + 2 (e + 8) + 3 (e + 16) = 6 e + 64.
    3: {
        "shapes": [[0, 2], [2, 2], [2, 2]],
        "values": [[], [[1.0, 1.0], [1.0, 1.0]], [[2.0, 2.0], [2.0, 2.0]]],
        "grads": [[], [[70.0, 76.0], [82.0, 88.0]], [[94.0, 100.0], [106.0, 112.0]]],
    },
}


def test_gather_with_empty_rank(ranks: list[dict[str, Any]]) -> None:
    expected = EMPTY_RANK_EXPECTED[len(ranks)]

    for shapes in _per_rank(ranks, "empty_rank", "shapes"):
        assert shapes == expected["shapes"]
    for values in _per_rank(ranks, "empty_rank", "values"):
        assert values == expected["values"]
    assert _per_rank(ranks, "empty_rank", "grad") == expected["grads"]


def test_gather_all_empty(ranks: list[dict[str, Any]]) -> None:
    world_size = len(ranks)

    for shapes in _per_rank(ranks, "all_empty", "shapes"):
        assert shapes == [[0, 3]] * world_size
    assert _per_rank(ranks, "all_empty", "grad_shape") == [[0, 3]] * world_size


def test_gather_scalars(ranks: list[dict[str, Any]]) -> None:
    world_size = len(ranks)
    # Loss on rank r: sum_k (r + 1) (k + 1) x_k, so x_k gets (k + 1) * T with
    # T = 1 + 2 + ... + world_size.
    total = world_size * (world_size + 1) // 2

    for values in _per_rank(ranks, "scalar", "values"):
        assert values == [float(k) for k in range(world_size)]
    assert _per_rank(ranks, "scalar", "grad") == [
        float((k + 1) * total) for k in range(world_size)
    ]


def test_gather_non_contiguous_input(ranks: list[dict[str, Any]]) -> None:
    world_size = len(ranks)
    expected = [
        [
            [0.0 + 10 * r, 3.0 + 10 * r],
            [1.0 + 10 * r, 4.0 + 10 * r],
            [2.0 + 10 * r, 5.0 + 10 * r],
        ]
        for r in range(world_size)
    ]

    assert _per_rank(ranks, "non_contiguous", "contiguous") == [False] * world_size
    for values in _per_rank(ranks, "non_contiguous", "values"):
        assert values == expected


def test_gather_more_than_four_dimensions(ranks: list[dict[str, Any]]) -> None:
    world_size = len(ranks)
    expected = [[r + 1, 1, 1, 1, 2] for r in range(world_size)]

    for shapes in _per_rank(ranks, "five_dims", "shapes"):
        assert shapes == expected


def _describe(values: list[str]) -> str:
    return ", ".join(f"rank {r}: {value}" for r, value in enumerate(values))


def test_gather_mismatch_raises_on_every_rank(ranks: list[dict[str, Any]]) -> None:
    world_size = len(ranks)
    trailing = _describe([f"(2, {3 + r})" for r in range(world_size)])
    dtypes = _describe(["torch.float32"] + ["torch.float64"] * (world_size - 1))
    dims = _describe(["1"] + ["2"] * (world_size - 1))
    five = _describe([f"(1, 1, 1, 1, {2 + r})" for r in range(world_size)])
    expected = {
        "trailing": "gather needs tensors whose shapes differ at most in the "
        f"first dimension, but got {trailing}.",
        "dtype": f"gather needs the same dtype on every rank, but got {dtypes}.",
        "ndim": "gather needs tensors with the same number of dimensions on "
        f"every rank, but got {dims}.",
        "five_dims": "gather needs tensors whose shapes differ at most in the "
        f"first dimension, but got {five}.",
    }

    for key, message in expected.items():
        assert _per_rank(ranks, "errors", key) == [message] * world_size


def test_gather_works_after_mismatch(ranks: list[dict[str, Any]]) -> None:
    world_size = len(ranks)
    expected = [[r] for r in range(world_size)]

    for values in _per_rank(ranks, "after_errors", "values"):
        assert values == expected


F, T = False, True

EYE_RANK_EXPECTED = {
    2: [
        [[T, F, F, F], [F, T, F, F]],
        [[F, F, T, F], [F, F, F, T]],
    ],
    3: [
        [[T, F, F, F, F, F], [F, T, F, F, F, F]],
        [[F, F, T, F, F, F], [F, F, F, T, F, F]],
        [[F, F, F, F, T, F], [F, F, F, F, F, T]],
    ],
}


def test_eye_rank_in_group(ranks: list[dict[str, Any]]) -> None:
    world_size = len(ranks)

    assert _per_rank(ranks, "eye_rank", "two") == EYE_RANK_EXPECTED[world_size]
    assert _per_rank(ranks, "eye_rank", "zero_shape") == [[0, 0]] * world_size
    assert _per_rank(ranks, "eye_rank", "device") == ["cpu"] * world_size


def test_rank_zero_only_in_group(ranks: list[dict[str, Any]]) -> None:
    world_size = len(ranks)

    assert _per_rank(ranks, "rank_zero_only", "returned") == ["ran on rank 0!"] + [
        None
    ] * (world_size - 1)
    assert _per_rank(ranks, "rank_zero_only", "printed") == ["hello-0\n"] + [""] * (
        world_size - 1
    )


SUBGROUP_EXPECTED: dict[int, dict[str, Any]] = {
    # The group is global rank 1 alone, sending [[2, 2]] with w_1 = [[3, 4]]
    # and loss factor 2.
    2: {
        "outsider": 0,
        "members": {
            1: {"rank": 0, "values": [[[2.0, 2.0]]], "grad": [[6.0, 8.0]]},
        },
        "eye_rank": {1: [[True]]},
    },
    # Members are global ranks 0 and 2, sending [[1, 1]] and [[3, 3]], with
    # w_0 = [[1, 2], [3, 4]] and w_2 = [[9, 10], [11, 12]]: rank 0 gets
    # [1, 2] + 3 * [9, 10] and rank 2 gets [3, 4] + 3 * [11, 12].
    3: {
        "outsider": 1,
        "members": {
            0: {
                "rank": 0,
                "values": [[[1.0, 1.0]], [[3.0, 3.0]]],
                "grad": [[28.0, 32.0]],
            },
            2: {
                "rank": 1,
                "values": [[[1.0, 1.0]], [[3.0, 3.0]]],
                "grad": [[36.0, 40.0]],
            },
        },
        "eye_rank": {0: [[True, False]], 2: [[False, True]]},
    },
}


def test_gather_over_subgroup(ranks: list[dict[str, Any]]) -> None:
    expected = SUBGROUP_EXPECTED[len(ranks)]
    group_size = len(expected["members"])

    for rank, member in expected["members"].items():
        result = ranks[rank]["subgroup"]
        assert (result["rank"], result["world_size"]) == (member["rank"], group_size)
        assert result["gather"]["values"] == member["values"]
        assert result["gather"]["grad"] == member["grad"]
        assert result["eye_rank"] == expected["eye_rank"][rank]


def test_subgroup_non_member_raises(ranks: list[dict[str, Any]]) -> None:
    outsider_rank = SUBGROUP_EXPECTED[len(ranks)]["outsider"]
    outsider = ranks[outsider_rank]["subgroup"]

    assert (outsider["rank"], outsider["world_size"]) == (-1, -1)
    assert outsider["gather_error"] == (
        f"This process (global rank {outsider_rank}) is not a member of the "
        "given process group, so it cannot gather over it. Call gather only on "
        "the ranks of the group."
    )
    assert outsider["eye_rank_error"] == (
        f"This process (global rank {outsider_rank}) is not a member of the "
        "given process group, so it has no block in the mask."
    )


def test_gather_matches_lightly(ranks: list[dict[str, Any]]) -> None:
    results = _per_rank_scenario(ranks, "lightly")
    if results[0] is None:
        pytest.skip("lightly is not installed")

    for result in results:
        assert result["values"] == result["ours"]["values"]
        assert result["grad"] == result["ours"]["grad"]


def _per_rank_scenario(ranks: list[dict[str, Any]], scenario: str) -> list[Any]:
    return [result[scenario] for result in ranks]


def _hang_rank(rank: int, world_size: int, directory: str) -> None:
    """Wait for a peer that never comes, as a rank stuck in a collective."""
    time.sleep(600)


def test_runner_terminates_hanging_ranks(tmp_path: Path, rank_runner: Any) -> None:
    started = time.monotonic()

    with pytest.raises(
        pytest.fail.Exception,
        match=re.escape(
            "Ranks [0, 1] of 2 did not finish within 2.0 s and were terminated.\n"
            "no rank wrote an error file"
        ),
    ):
        rank_runner(_hang_rank, 2, tmp_path, timeout=2.0)

    assert time.monotonic() - started < 30


# ---------------------------------------------------------------------------
# Single-process tests: no process group, so every helper acts as rank 0 of 1.
# ---------------------------------------------------------------------------


def test_rank_outside_group() -> None:
    assert dist.rank() == 0
    assert dist.rank(group=None) == 0


def test_world_size_outside_group() -> None:
    assert dist.world_size() == 1
    assert dist.world_size(group=None) == 1


def test_gather_outside_group_returns_input() -> None:
    x = torch.tensor([[1.0, 2.0]], requires_grad=True)

    gathered = dist.gather(x)

    assert isinstance(gathered, tuple)
    assert len(gathered) == 1
    assert gathered[0] is x


def test_gather_outside_group_gradients() -> None:
    x = torch.tensor([[1.0, 2.0]], requires_grad=True)

    (torch.cat(dist.gather(x)) * torch.tensor([[3.0, 5.0]])).sum().backward()

    assert x.grad.tolist() == [[3.0, 5.0]]


def test_gather_layer_outside_group() -> None:
    x = torch.tensor([[1.0, 2.0]], requires_grad=True)

    gathered = dist.GatherLayer.apply(x)
    (gathered[0] * torch.tensor([[3.0, 5.0]])).sum().backward()

    assert len(gathered) == 1
    assert gathered[0].tolist() == [[1.0, 2.0]]
    assert x.grad.tolist() == [[3.0, 5.0]]


def test_eye_rank_outside_group_is_identity() -> None:
    mask = dist.eye_rank(3)

    assert mask.dtype == torch.bool
    assert torch.equal(mask, torch.eye(3, dtype=torch.bool))


def test_eye_rank_zero_rows() -> None:
    assert dist.eye_rank(0).shape == (0, 0)


def test_eye_rank_builds_on_requested_device() -> None:
    # lightly 1.6.0 builds the mask on the CPU whatever the device. With
    # device="meta" it returns a CPU mask with no True entry.
    mask = dist.eye_rank(2, device="meta")

    assert mask.device.type == "meta"
    assert mask.shape == (2, 2)


def test_eye_rank_negative_n() -> None:
    with pytest.raises(
        EmbeddingValueError, match=re.escape("n must be zero or positive, got -1.")
    ):
        dist.eye_rank(-1)


def test_rank_zero_only_runs_on_rank_zero() -> None:
    calls: list[int] = []

    @dist.rank_zero_only
    def record(value: int) -> int:
        """Record a value."""
        calls.append(value)
        return value * 2

    assert record(4) == 8
    assert calls == [4]
    assert record.__name__ == "record"
    assert record.__doc__ == "Record a value."


def test_print_rank_zero_prints(capsys: pytest.CaptureFixture[str]) -> None:
    dist.print_rank_zero("a", 1, sep=":", end="|")

    assert capsys.readouterr().out == "a:1|"


@pytest.mark.parametrize(
    "name", ["gather", "eye_rank", "rank", "world_size", "rank_zero_only"]
)
def test_signature_extends_lightly(name: str) -> None:
    lightly_dist = pytest.importorskip("lightly.utils.dist")
    theirs = inspect.signature(getattr(lightly_dist, name)).parameters
    ours = inspect.signature(getattr(dist, name)).parameters

    assert [(p.name, p.kind) for p in theirs.values()] == [
        (p.name, p.kind) for p in list(ours.values())[: len(theirs)]
    ]
    for extra in list(ours.values())[len(theirs) :]:
        assert extra.kind is inspect.Parameter.KEYWORD_ONLY
        assert extra.default is None


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_eye_rank_on_cuda() -> None:
    mask = dist.eye_rank(3, device="cuda")

    assert mask.device.type == "cuda"
    assert torch.equal(mask.cpu(), torch.eye(3, dtype=torch.bool))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gather_on_cuda_outside_group() -> None:
    x = torch.ones(2, 3, device="cuda", requires_grad=True)

    (gathered,) = dist.gather(x)
    gathered.sum().backward()

    assert gathered is x
    assert x.grad.tolist() == [[1.0] * 3] * 2
