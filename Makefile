# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What the service runs on, and on top of it the test, lint and bench tools.
SERVICE_STAMP := $(VENV)/.service-installed
DEV_STAMP := $(VENV)/.installed
# `make run HOST=0.0.0.0 PORT=8080` (on the command line: a HOST in the environment is the
# machine's name in some shells)
HOST := 127.0.0.1
PORT := 8000
# Debian packages the tests drive: a browser for the page, the compose file's validator, psql for
# the database init script of the compose file.
SYSTEM_PACKAGES := chromium chromium-driver docker-compose fonts-wqy-microhei postgresql-client
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: install run standin test test-fast lint lock bench system-packages

# The Dockerfile runs the same pip lines (tests/test_docker.py checks it), minus the dev one.
# requirements.lock pins every package the service runs on (the image's exact versions);
# regenerate it with `make lock` after changing requirements.txt.
$(SERVICE_STAMP): pyproject.toml requirements.txt requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -r requirements.txt -c requirements.lock
	$(BIN)/pip install --no-deps -e .
	touch $(SERVICE_STAMP)

$(DEV_STAMP): $(SERVICE_STAMP) requirements-dev.txt
	$(BIN)/pip install -r requirements-dev.txt
	touch $(DEV_STAMP)

install: $(DEV_STAMP)

# Installs what is missing, so that a fresh machine runs the browser and compose tests too.
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
	        || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing the system packages the tests need:" $$missing; \
	    $(SUDO) apt-get -o DPkg::Lock::Timeout=600 update -q && \
	    $(SUDO) apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $$missing; \
	fi

run: $(SERVICE_STAMP)
	$(BIN)/txt2sql-api serve --host $(HOST) --port $(PORT)

# A stand-in for DashScope on port 8089 that answers the demo's questions: `make run` with
# DASHSCOPE_HTTP_BASE_URL=http://127.0.0.1:8089/api/v1 and DASHSCOPE_API_KEY=sk-standin in .env
# answers them without a DashScope key.
standin: $(SERVICE_STAMP)
	$(BIN)/txt2sql-api standin

# Style, types, and the architecture: import-linter's contracts in pyproject.toml.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint system-packages
	$(BIN)/pytest

# The quick loop while developing: no browser, no real servers under load.
test-fast: install
	$(BIN)/pytest -m "not slow and not browser"

lock: install
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-find-links --no-emit-index-url \
	    --no-emit-trusted-host --output-file requirements.lock \
	    requirements.txt

bench: install
	$(BIN)/python -m bench.run streams
	$(BIN)/python -m bench.run streams --workers 2 --provider dashscope
	$(BIN)/python -m bench.run seed
	$(BIN)/python -m bench.run burst
	$(BIN)/python -m bench.run floor
	$(BIN)/python -m bench.run cancel
	$(BIN)/python -m bench.run schema
	$(BIN)/python -m bench.run examples
	$(BIN)/python -m bench.run compare
	$(BIN)/python -m bench.run attacks
