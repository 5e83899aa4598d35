# Sourced by the other scripts: make sure .venv exists and holds what pyproject.toml asks for.
# One install serves the demo and the tests (the development tools come along), and pip's output goes to
# a log that is shown only when a step fails. torch goes in first and pinned, so that nothing pulls a
# multi-GB CUDA build.
set -euo pipefail
TORCH_VERSION="2.13.0"
venv=".venv"
log="$venv/install.log"
# What is installed follows these files: a change to any of them installs again, once.
stamp="$venv/.installed-$(cat pyproject.toml examples/*/pyproject.toml scripts/_venv.sh | sha256sum | cut -c1-16)"

_venv_step() { printf '  %s\n' "$1" >&2; }

_venv_run() {
    if ! "$@" >>"$log" 2>&1; then
        printf '\nInstallation failed (%s). The last lines of %s:\n\n' "$*" "$log" >&2
        tail -n 25 "$log" >&2
        printf '\nThe whole log is %s\n' "$PWD/$log" >&2
        exit 1
    fi
}

if [ ! -f "$stamp" ] || [ ! -x "$venv/bin/python" ]; then
    printf 'Preparing %s (once; pip writes to %s):\n' "$venv" "$log" >&2
    if [ ! -x "$venv/bin/python" ]; then
        _venv_step "creating the environment"
        python3 -m venv "$venv"
    fi
    : >"$log"
    _venv_step "updating pip"
    _venv_run "$venv/bin/python" -m pip install --upgrade pip
    _venv_step "installing torch ${TORCH_VERSION} (CPU build)"
    _venv_run "$venv/bin/python" -m pip install "torch==${TORCH_VERSION}"
    _venv_step "installing the project, its libraries and the bundled model"
    _venv_run "$venv/bin/python" -m pip install -e ".[dev]"
    # The example plugin proves the entry-point discovery in the tests.
    _venv_step "installing the example plugin"
    _venv_run "$venv/bin/python" -m pip install --no-deps -e examples/backoffice-canteen
    rm -f "$venv"/.installed-*
    touch "$stamp"
    printf '  done\n' >&2
fi
export PATH="$PWD/$venv/bin:$PATH"
export HF_HUB_OFFLINE=1
