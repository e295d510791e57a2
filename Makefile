# The two commands of the README:
#   make demo   the operator with the bundled cloud simulator, to watch
#   make test   lint, types and every test layer
# Both install what they need into .venv (and helm into .tools/bin) first.
# While editing, `make test-fast`: the unit and simulator layers only.

PYTHON ?= python3
VENV := .venv
# pytest-xdist workers: the integration modules wait on processes, so one more than cores
TEST_WORKERS ?= 3
# The fast layers are CPU-bound: one worker per core (the full run's third worker is for the
# integration modules, which mostly wait on their processes).
FAST_WORKERS ?= auto
BIN := $(VENV)/bin
export PATH := $(CURDIR)/.tools/bin:$(PATH)

.PHONY: demo test test-fast lint install tools crds inventory image e2e-kind clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

tools:
	bash scripts/install-tools.sh

demo: install
	$(BIN)/cloudnet demo

lint: install
	$(BIN)/ruff check operator tests bench
	$(BIN)/ruff format --check operator tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: install tools lint
	$(BIN)/pytest -q -ra -n $(TEST_WORKERS)

# The fast layers (core, providers, simulator, project): no lint, no operator process, no
# Kubernetes API (a few short subprocesses aside: helm, a wheel build, import checks, a
# simulator restart). tests/conftest.py spreads them over the workers by test function.
test-fast: install tools
	$(BIN)/pytest -q -n $(FAST_WORKERS) tests/core tests/providers tests/sim tests/project

crds: install
	$(BIN)/cloudnet crds --output crds
	$(BIN)/cloudnet crds --output deploy/cloudnet-operator/files/crds

# examples/sim-inventory.yaml: the simulator families' inventory fragments merged
inventory: install
	$(BIN)/cloudnet sim --print-default-inventory > examples/sim-inventory.yaml

image:
	docker build -t cloudnet-operator:dev .

e2e-kind: install tools
	VENV=$(VENV) bash scripts/e2e-kind.sh

clean:
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache
