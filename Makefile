# Two commands: `make demo` (see it work) and `make test` (prove it). Each installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PACKAGES := -e libs/contracts -e libs/runtime -e services/ingest -e services/planner -e services/numbering \
            -e services/ledger-writer -e services/qbo-sim -e services/qbd-sim -e cli \
            -e services/console
INPUTS := constraints.txt requirements-dev.txt $(wildcard libs/*/pyproject.toml services/*/pyproject.toml cli/pyproject.toml)
STAMP := $(VENV)/.installed-$(shell cat $(INPUTS) | cksum | cut -d' ' -f1)

.PHONY: install demo test lint typecheck validate unit schemas bench bench-scaling chaos bench-sim bench-numbering \
        bench-ingest bench-writer bench-transport bench-rules bench-fairness bench-desktop contract-qbo clean

install: $(STAMP)

$(STAMP): $(INPUTS)
	@command -v java >/dev/null || { echo "ledgerflow needs Java 17+ (the Kafka broker runs on it)"; exit 1; }
	@command -v mvn >/dev/null || { echo "ledgerflow needs Maven (it fetches Kafka's jars)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "ledgerflow needs Python 3.11+"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt $(PACKAGES) -r requirements-dev.txt
	@# The manifests are rendered offline with kubectl's kustomize, or the kustomize binary where kubectl is missing.
	@command -v kubectl >/dev/null || command -v $(BIN)/kustomize >/dev/null || \
		GOBIN=$(abspath $(BIN)) go install sigs.k8s.io/kustomize/kustomize/v5@v5.5.0
	rm -f $(VENV)/.installed-*
	touch $@

# `make demo OBSERVE=1` adds Jaeger and Prometheus and leaves everything running afterwards, to look at;
# `make demo KEEP=1` leaves the stack, the services and the console running.
demo: install
	$(BIN)/ledgerflow demo $(if $(OBSERVE),--observe) $(if $(KEEP),--keep)

test: install lint typecheck validate
	$(BIN)/pytest

unit: install
	$(BIN)/pytest -m "not integration"

# The QuickBooks Online contract suite: against the simulator, and against an Intuit sandbox company when
# LEDGERFLOW_QBO_SANDBOX_* are set (docs/simulator.md, "The contract suite"). `make test` runs it too.
contract-qbo: install
	$(BIN)/pytest tests/contract -v

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

validate: install
	$(BIN)/python deploy/validate.py

# End to end against a bare Kafka pipe; bench/results/latest.json and latest.png (docs/benchmarks.md).
bench: install
	$(BIN)/python bench/pipeline_bench.py

bench-scaling: install
	$(BIN)/python bench/pipeline_bench.py --replicas 1,2 --tenants 1,100 --orders 2000 --paced-seconds 10

# One tenant's 600-order backlog beside 12 small tenants, QuickBooks' limits on; bench/results/fairness.json and .png.
bench-fairness: install
	$(BIN)/python bench/fairness_bench.py

# Orders one Web Connector run posts to one QuickBooks Desktop company file in two minutes; bench/results/desktop.json.
bench-desktop: install
	$(BIN)/python bench/desktop_bench.py

# 5,000 orders while services, a broker and PostgreSQL crash and the books misbehave; then reconciled.
chaos: install
	$(BIN)/python bench/chaos_run.py

bench-sim: install
	$(BIN)/python bench/sim_bench.py

bench-numbering: install
	$(BIN)/python bench/numbering_bench.py

bench-ingest: install
	$(BIN)/python bench/ingest_bench.py

bench-rules: install
	$(BIN)/python bench/rules_bench.py

bench-writer: install
	$(BIN)/python bench/writer_bench.py

bench-transport: install
	$(BIN)/python bench/transport_bench.py

schemas: install
	$(BIN)/ledgerflow schemas export docs/schemas
	$(BIN)/ledgerflow schemas asyncapi docs/asyncapi

clean:
	-$(BIN)/ledgerflow dev down
	rm -rf $(VENV) .ledgerflow .pytest_cache .mypy_cache .ruff_cache
