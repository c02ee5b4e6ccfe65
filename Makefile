# Two entry points: `make demo` runs the main job on the bundled sample and
# `make test` runs lint, type checks and the test suite. Both create .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench schemas clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml requirements-test.txt
	$(BIN)/pip install --quiet -r requirements-test.txt -e '.[dev,plot,torch]'
	# lightly is the reference implementation the tests compare against.
	# Without --no-deps it would pull torchvision and a CUDA build of torch.
	$(BIN)/pip install --quiet --no-deps lightly==1.6.0
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m embedframe._demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/bench_pca.py

schemas: $(STAMP)
	$(BIN)/embedframe schema > schemas/lightly-embeddings.schema.json

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
