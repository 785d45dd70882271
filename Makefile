# The SRDI scoring service. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= data/world
FIRMS ?= 20000
SEED ?= 7
ROBUST_FIRMS ?= 8000
TARGET ?= srdi_sme
HOST ?= 127.0.0.1
PORT ?= 8000
# Worker processes of `srdi serve`; empty = SRDI_WORKERS, else one per core.
WORKERS ?=
SERVE_OPTS = --host $(HOST) --port $(PORT) $(if $(WORKERS),--workers $(WORKERS))

.PHONY: help install system-deps data train robustness serve run test lint typecheck pytest bench bench-serve bench-batch clean

## Show this help
help:
	@awk 'BEGIN {FS = ":.*"} /^## / {doc = substr($$0, 4); next} /^[a-zA-Z_-]+:/ && doc {printf "  \033[36m%-12s\033[0m %s\n", $$1, doc; doc = ""} {if ($$0 !~ /^## /) doc = ""}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv==$$(grep '^uv==' constraints.txt | cut -d= -f3)
	$(BIN)/uv pip install -q --python $(BIN)/python -c constraints.txt -e '.[dev,dask]'
	touch $(STAMP)

## Create .venv in the checkout and install the project with its pinned dependencies
install: $(STAMP)

## Install the system packages the browser test and the benchmarks need (Chromium, CJK font, wrk)
system-deps:
	@missing=""; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi wqy || missing="$$missing fonts-wqy-microhei"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

## Generate the synthetic world into $(DATA) unless it is already there
data: install
	@test -f $(DATA)/financials.parquet || $(BIN)/srdi synth --firms $(FIRMS) --seed $(SEED) --out $(DATA)

## Train on $(DATA), log to MLflow, register and gate the champion
train: data
	$(BIN)/srdi train --data $(DATA)

## Robustness: the default world's model in worlds drawn with perturbed settings (ROBUST_FIRMS, TARGET)
robustness: install
	$(BIN)/python -m training.robustness --firms $(ROBUST_FIRMS) --seed $(SEED) --target $(TARGET)

## Serve the API and the screening page on http://$(HOST):$(PORT) (one worker per core)
serve: install
	$(BIN)/srdi serve $(SERVE_OPTS)

## Everything from a fresh clone: install, world, train a champion if none, serve with workers
run: data
	@$(BIN)/srdi models --has-champion >/dev/null 2>&1 || $(BIN)/srdi train --data $(DATA)
	$(BIN)/srdi serve $(SERVE_OPTS)

## Lint and format check (ruff) and the import layers (import-linter)
lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## Type check the packages (mypy strict)
typecheck: install
	$(BIN)/mypy

## Run the test suite (pytest) only
pytest: install system-deps
	$(BIN)/pytest

## Lint, type check and run every test: what CI runs
test: lint typecheck pytest

## Benchmarks that print ratios against a baseline measured in the same run
bench: install system-deps
	$(BIN)/python -m bench.run_all

## Benchmark the API against `mlflow models serve` on the same model with wrk
bench-serve: install system-deps
	$(BIN)/python -m bench.serve

## Benchmark Dask batch scoring against a bare Booster.predict
bench-batch: install
	$(BIN)/python -m bench.batch

## Remove generated data, the MLflow store and caches (keeps .venv)
clean:
	rm -rf data models/mlflow.db models/artifacts test-artifacts bench/results .pytest_cache .mypy_cache .ruff_cache .hypothesis
