#!/usr/bin/env bash
# Set up the kit on a fresh machine (Python >= 3.11 with pip): a virtual
# environment in .venv with the kit, nbgrader, JupyterLab and the test tools.
# Safe to run again; it only installs what is missing or outdated.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
echo "setup: installing the kit and its dependencies into .venv (a minute on a fresh machine)"
.venv/bin/python -m pip install --quiet --editable ".[test]"
.venv/bin/python -c "import nbgrader, nmf_helpers; print(f'setup: ok (nbgrader {nbgrader.__version__}, nmf_helpers {nmf_helpers.__version__})')"
