# Both targets work on a fresh machine with only Python 3: they create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/.installed-%: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[$*]"
	touch $@

demo: $(BIN)/.installed-demo
	$(BIN)/python -m dml.demo $(DEMO_ARGS)

test: $(BIN)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(BIN)/.installed-test $(BIN)/.installed-bench
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
