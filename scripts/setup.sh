#!/usr/bin/env bash
# Set up the kit on a fresh machine: a virtual environment in .venv with the kit,
# nbgrader, JupyterLab and the test tools, and the grading sandbox (bubblewrap).
#
# Needs Python >= 3.11 with pip and venv (PYTHON=... picks another interpreter).
# Grading needs Linux with bubblewrap (bwrap): installed here with apt-get when run
# as root, else said how. Safe to run again; prints a few lines, and pip's whole log
# only when something fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
LOG=$(mktemp "${TMPDIR:-/tmp}/nmf-kit-setup.XXXXXX")
trap 'rm -f "$LOG"' EXIT

quietly() {  # run a command, showing its output only when it fails
    if ! "$@" >"$LOG" 2>&1; then
        cat "$LOG" >&2
        echo "setup: failed: $*" >&2
        exit 1
    fi
}

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "setup: needs Python 3.11 or newer with pip and venv; set PYTHON=/path/to/python3.11 and run again" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $("$PYTHON" --version)"
    quietly "$PYTHON" -m venv .venv
fi
echo "setup: installing the kit and its dependencies into .venv (a minute or two on a fresh machine)"
quietly .venv/bin/python -m pip install --upgrade pip
# Constrained to the students' lock: the kit, its tests and the lectures run on exactly the
# versions students install (requirements.txt), the rest (test tools, Dask) as pip resolves them.
quietly .venv/bin/python -m pip install --constraint requirements.txt --editable ".[test]"

# Grading runs each hand-in's kernel in bubblewrap, a Linux tool from the system's packages.
if [ "$(uname -s)" != Linux ]; then
    echo "setup: grading (nmf-kit autograde) needs Linux with bubblewrap; the rest of the kit works here"
elif ! command -v bwrap >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing bubblewrap (the grading sandbox) with apt-get"
        quietly apt-get update -qq
        quietly apt-get install -y -qq bubblewrap
    else
        echo "setup: bubblewrap (bwrap) is missing; nmf-kit autograde refuses to start without it:"
        echo "       sudo apt-get install bubblewrap   (or: sudo dnf install bubblewrap)"
    fi
fi
.venv/bin/python -c 'import nbgrader, nmf_kit; print(f"setup: ok (nbgrader {nbgrader.__version__}, nmf-course-kit {nmf_kit.__version__})")'
