# The two commands of the README: `make up` (the main job) and `make test` (every quality gate).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: help up down test lint unit e2e bootstrap engine

help:
	@echo "make up    - start localdcos, build or reuse the Pulumi engine, deploy the local stack"
	@echo "make down  - destroy the local stack and stop localdcos"
	@echo "make test  - install what is missing, then lint, type-check and run every test"

bootstrap:
	@scripts/bootstrap >/dev/null

engine:
	@scripts/install-pulumi

up: bootstrap
	@scripts/up

down: bootstrap
	@scripts/down

lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy provider components localdcos stackrun __main__.py
	$(VENV)/bin/mypy --explicit-package-bases tests

test: bootstrap
	@scripts/check
