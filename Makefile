# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the tests drive: a browser for the page, the compose file's validator, psql for
# the database init script of the compose file.
SYSTEM_PACKAGES := chromium chromium-driver docker-compose fonts-wqy-microhei postgresql-client
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: install run test test-fast lint lock bench system-packages

# The Dockerfile runs the same pip lines (tests/test_docker.py checks it), minus the dev ones.
# requirements.lock pins every package the service runs on (the image's exact versions);
# regenerate it with `make lock` after changing requirements.txt.
$(STAMP): pyproject.toml requirements.txt requirements.lock requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -r requirements.txt -c requirements.lock
	$(BIN)/pip install -r requirements-dev.txt
	$(BIN)/pip install --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

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

run: install
	$(BIN)/txt2sql-api serve

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
	$(BIN)/python -m bench.run seed
	$(BIN)/python -m bench.run floor
	$(BIN)/python -m bench.run cancel
	$(BIN)/python -m bench.run schema
	$(BIN)/python -m bench.run examples
	$(BIN)/python -m bench.run attacks
