#!/usr/bin/env bash
# Set up mesoflow on a fresh machine: MUMPS (when possible), uv, and the locked environment.
#
# Idempotent and quick once done: every step checks before it acts.
#   1. Debian's libmumps-seq-dev, so that Kwant is built with its fast MUMPS solver.
#      Needs root (or password-less sudo). Without it Kwant falls back to SciPy's
#      sparse solver: slower, still correct.
#   2. uv, installed with `python3 -m pip install --user uv` when it is missing.
#   3. `uv sync --locked --compile-bytecode`: builds Kwant 1.5.0 from source against NumPy 2
#      (once, minutes; the wheel is cached) and installs mesoflow with its test tools into
#      .venv/, with the installed packages compiled to bytecode: where PYTHONDONTWRITEBYTECODE
#      is set, every fresh process (each new pool worker, the CLI, the test subprocesses)
#      would otherwise compile Kwant, SciPy and pandas again (benchmarks/README.md).
#   4. mesoflow's own packages (an editable install, which uv does not compile) compiled to
#      bytecode too (`compileall`, half a second; it writes even where
#      PYTHONDONTWRITEBYTECODE is set): every test worker, notebook kernel, fork server and
#      CLI process then reads them instead of compiling ~30,000 lines again.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[bootstrap] %s\n' "$*" >&2; }

have_mumps() { [ -e /usr/include/dmumps_c.h ] || [ -e /usr/include/MUMPS/dmumps_c.h ]; }

if ! have_mumps && [ -z "${MESOFLOW_NO_MUMPS:-}" ]; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""
        if [ "$(id -u)" -ne 0 ]; then
            if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
        fi
        if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
            log "installing libmumps-seq-dev (MUMPS solver for Kwant)"
            if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q libmumps-seq-dev >/dev/null; then
                DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -q >/dev/null || true
                DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q libmumps-seq-dev >/dev/null \
                    || log "could not install libmumps-seq-dev"
            fi
        fi
    fi
    have_mumps || log "MUMPS not available (no root?): Kwant will use SciPy's solver -- slower, still correct"
fi

if ! command -v uv >/dev/null 2>&1; then
    export PATH="$HOME/.local/bin:$PATH"
fi
if ! command -v uv >/dev/null 2>&1; then
    log "installing uv"
    python3 -m pip install --quiet --user uv 2>/dev/null \
        || python3 -m pip install --quiet uv 2>/dev/null \
        || python3 -m pip install --quiet --user --break-system-packages uv
    hash -r
fi
command -v uv >/dev/null 2>&1 || { log "uv is not on PATH after installing it"; exit 1; }


log "syncing the environment (the first run builds Kwant: a few minutes)"
uv sync --locked --quiet --compile-bytecode
uv run --locked --quiet python -m compileall -q systems workflows analysis
