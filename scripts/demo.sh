#!/usr/bin/env bash
# The main job on the embedded default: index the bundled sample handbook and search it.
# Usage: scripts/demo.sh ["your question"]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
export BACKOFFICE_HOME="${BACKOFFICE_HOME:-.backoffice}"
backoffice reindex
if [ "$#" -gt 0 ]; then
    backoffice search "$*"
else
    for question in "cuántos días me dan si me caso" "how much is the per diem when I stay overnight"; do
        echo "> $question"
        backoffice search "$question" --k 3
    done
fi
