# Two commands matter on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000
export SAM_CLI_TELEMETRY := 0
PY312 := $(shell PYENV_VERSION=3.12.1 pyenv which python3.12 2>/dev/null || command -v python3.12)

.PHONY: run test unit integration e2e lint build bench bench-cold-start bench-offer-latency bench-arrival-latency bench-nearby bench-dispatch clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/paotui-local --port $(PORT)

# Two workers each: the e2e modules, each with its own local cloud, spend most of their time waiting on timers.
test: $(STAMP)
	$(BIN)/pytest tests/unit tests/integration -n 2
	$(BIN)/pytest tests/e2e -n 2 --dist loadfile

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration -n 2

e2e: $(STAMP)
	$(BIN)/pytest tests/e2e -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint --region us-east-1

build: $(STAMP)
	@test -n "$(PY312)" || { echo "sam build needs python3.12 on PATH (pyenv install 3.12)"; exit 1; }
	PATH="$(dir $(PY312)):$$PATH" $(BIN)/sam build --region us-east-1

bench: bench-cold-start bench-offer-latency bench-arrival-latency bench-nearby

bench-cold-start: $(STAMP)
	$(BIN)/python bench/cold_start.py

bench-offer-latency: $(STAMP)
	$(BIN)/python bench/offer_latency.py

bench-arrival-latency: $(STAMP)
	$(BIN)/python bench/arrival_latency.py --when online
	$(BIN)/python bench/arrival_latency.py --when freed --orders 15  # four orders each: the first merchant's stock

bench-nearby: $(STAMP)
	$(BIN)/python bench/nearby_merchants.py

bench-dispatch: $(STAMP)
	$(BIN)/python bench/mdrp_table.py
	$(BIN)/python bench/dispatch_city.py

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache
