# Two commands do all the set-up: `make run` (install, build the index if needed, serve the web chat)
# and `make test` (install, then the whole test suite). Everything goes into .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed

.PHONY: run test lint install browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# A CPU build of torch first, pinned: an unpinned torch pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	# The Milvus and cluster extras too, so their tests run (about 1 min more to install: bench/README.md).
	$(BIN)/python -m pip install --quiet -e '.[test,onnx,milvus,cluster]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/qa serve $(ARGS)

browser:
	bash scripts/install-chromium.sh

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) browser lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) index .pytest_cache .ruff_cache
