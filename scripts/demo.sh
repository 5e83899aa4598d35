#!/usr/bin/env bash
# The main job on the embedded default: the console chat over the bundled sample handbook.
# Usage: scripts/demo.sh                  (interactive chat; also reads questions from a pipe)
#        scripts/demo.sh "your question"  (one question, one answer)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
export BACKOFFICE_HOME="${BACKOFFICE_HOME:-.backoffice}"
backoffice reindex >&2
if [ "$#" -gt 0 ]; then
    backoffice ask "$*"
else
    backoffice chat
fi
