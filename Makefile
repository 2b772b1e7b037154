# Convenience wrappers; the README's commands (python3 tasks.py ...) need nothing but Python 3.
PYTHON ?= python3

.PHONY: demo test bench docs clean

demo:
	$(PYTHON) tasks.py demo $(ARGS)

test:
	$(PYTHON) tasks.py test $(ARGS)

bench:
	$(PYTHON) tasks.py bench $(ARGS)

docs:
	$(PYTHON) tasks.py docs $(ARGS)

clean:
	rm -rf .venv build *.egg-info docs/_build docs/generated
