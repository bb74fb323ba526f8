# The README's two commands are `make run` and `make test`; the rest are helpers.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck messages install clean sandbox-image

## Run the portal with its Celery workers on embedded defaults (SQLite, filesystem broker,
## demo sign-in) at http://127.0.0.1:8000/, or PORTAL_ADDR (`make run PORTAL_ADDR=0.0.0.0:8080`).
## `exec`: make's child is runportal itself, which exits 0 on Ctrl-C or SIGTERM once its workers
## stopped; a shell in between would die of the signal and make would report an error.
run: $(STAMP)
	exec env DEBUG=$${DEBUG:-true} DEV_SIGNIN_ENABLED=$${DEV_SIGNIN_ENABLED:-true} \
		$(BIN)/python manage.py runportal $${PORTAL_ADDR:-127.0.0.1:8000}

## Run every test (lint, unit, integration against PostgreSQL + Redis, browser) after
## installing and starting what they need.
test: $(STAMP)
	@eval "$$(scripts/services.sh)" && \
		$(MAKE) --no-print-directory lint typecheck && \
		$(BIN)/python manage.py compilemessages --ignore '.venv/*' -v0 && \
		$(BIN)/pytest $(PYTEST_ARGS)

## Lint and formatting: fails on a lint finding or on code `ruff format` would change.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Static types of autograder/ (strict; configured in pyproject.toml [tool.mypy]).
typecheck: $(STAMP)
	$(BIN)/mypy

## Extract translatable strings into the English catalogue (then fill msgstr and commit).
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l en --ignore '.venv/*' --ignore 'tests/*' \
		--ignore 'course_content/*' --ignore 'var/*'

## Build the Docker grading image (mle-grader:latest, or $$AUTOGRADER_IMAGE); a rebuild with
## nothing changed is a layer-cache hit. See README, "Grading image".
sandbox-image:
	sandbox_images/build.sh

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) var test-artifacts
