# The README's two commands: `make demo` and `make test`. Each builds what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
PROTOS := $(shell find protos -name '*.proto')

.PHONY: demo test lint protos bench clean

demo: $(STAMPS)/protos
	@$(BIN)/clinops demo

test: $(STAMPS)/protos $(STAMPS)/node
	$(BIN)/ruff check .
	./node_modules/.bin/buf lint
	$(BIN)/python scripts/with_test_services.py -- $(BIN)/pytest -q -n auto --dist loadscope

lint: $(STAMPS)/protos $(STAMPS)/node
	$(BIN)/ruff check .
	./node_modules/.bin/buf lint

protos: $(STAMPS)/protos

# Benchmarks (bench/): ClinOps beside its ceilings in one run; tables and JSON in bench/results/.
bench: $(STAMPS)/protos $(STAMPS)/bench
	$(BIN)/python scripts/with_test_services.py -- $(BIN)/python -m bench

$(STAMPS)/bench: pyproject.toml $(STAMPS)/venv
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

# The virtual environment follows pyproject.toml: a change there reinstalls.
$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Generated code is rebuilt whenever a .proto (or the toolchain) changes.
$(STAMPS)/protos: $(PROTOS) scripts/gen_protos.py $(STAMPS)/venv
	$(BIN)/python scripts/gen_protos.py
	touch $@

$(STAMPS)/node: package.json package-lock.json
	@mkdir -p $(STAMPS)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) $(STAMPS) node_modules clinops/common clinops/staffing clinops/supplies clinops/training
