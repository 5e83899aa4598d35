# Sourced by the other scripts: make sure .venv exists and holds what pyproject.toml asks for.
# torch goes in first and pinned, so that nothing pulls a multi-GB CUDA build.
set -euo pipefail
TORCH_VERSION="2.13.0"
extras="${VENV_EXTRAS:-}"  # by variable: sourcing inherits the caller's arguments
venv=".venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
fi
stamp="$venv/.installed-$(cat pyproject.toml examples/*/pyproject.toml | sha256sum | cut -c1-16)${extras:+-$extras}"
if [ ! -f "$stamp" ]; then
    "$venv/bin/python" -m pip install --quiet "torch==${TORCH_VERSION}"
    "$venv/bin/python" -m pip install --quiet -e ".${extras:+[$extras]}"
    if [ "$extras" = "dev" ]; then
        # The example plugin proves the entry-point discovery in the tests.
        "$venv/bin/python" -m pip install --quiet --no-deps -e examples/backoffice-canteen
    fi
    touch "$stamp"
fi
export PATH="$PWD/$venv/bin:$PATH"
export HF_HUB_OFFLINE=1
