#!/usr/bin/env bash
# The whole test suite: lint, format, types, then pytest (unit, scenario and model-backed tests).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ruff check .
ruff format --check .
mypy
python -m pytest "$@"
