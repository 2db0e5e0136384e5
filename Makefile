# posemu: the two commands a newcomer needs are `make run` and `make test`; both set everything up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
APT_PACKAGES := pcscd libpcsclite-dev vsmartcard-vpcd socat fonts-wqy-microhei
# escpos re-parses its capabilities file on every import unless it may cache it (RECIPES.md)
export ESCPOS_CAPABILITIES_PICKLE_DIR := $(CURDIR)/.cache/escpos

.PHONY: setup apt venv run test bench check lint typecheck clean

setup: apt venv

# System packages the tests need (PC/SC daemon, the vpcd virtual reader, pty helper). Installed only when
# missing and only as root; otherwise say what is missing.
apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
	  echo "not root: please install$$missing (sudo apt-get install$$missing)" >&2; \
	fi

# The venv with the package editable and every extra; redone only when pyproject.toml changes.
venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[pcsc,nfc,usb,tui,dev]'
	@mkdir -p $(ESCPOS_CAPABILITIES_PICKLE_DIR)
	@touch $@

run: setup
	$(VENV)/bin/posemu run

# pytest exits 5 when it collected no test: that is a broken suite here, never a pass.
test: setup
	@set +e; $(PY) -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

bench: setup
	$(PY) -m bench

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

check: lint typecheck

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache .hypothesis .benchmarks *.egg-info
