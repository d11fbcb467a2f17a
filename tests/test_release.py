"""The student release: up to date, nothing leaks, validates as nbgrader expects."""

import json
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT

from nmf_kit.course import nbgrader
from nmf_kit.handins import reference_answers

RELEASE = ROOT / "release" / "ex08"
SOURCE = ROOT / "source" / "ex08"
pytestmark = pytest.mark.slow


def _notebook_json(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_committed_release_is_what_nbgrader_generates(released_course):
    fresh = released_course / "release" / "ex08"
    assert sorted(p.name for p in fresh.iterdir()) == sorted(p.name for p in RELEASE.iterdir())
    assert _notebook_json(fresh / "nmf.ipynb") == _notebook_json(RELEASE / "nmf.ipynb"), (
        "release/ex08 is stale: run `nmf-kit release` and commit it"
    )
    for name in ("movielens.py", "handin.py"):
        assert (fresh / name).read_bytes() == (RELEASE / name).read_bytes(), f"release/ex08/{name} is stale"
    assert not (RELEASE / "movielens.py").is_symlink()


def test_release_leaks_no_solution_hidden_test_or_reference():
    text = "\n".join(p.read_text(encoding="utf-8") for p in RELEASE.iterdir())
    for marker in (
        "BEGIN SOLUTION",
        "END SOLUTION",
        "BEGIN HIDDEN TESTS",
        "nmf_helpers",
        "grading.check",
        "Model answer",
        "instructors:",  # notes to instructors stay out of what students get
    ):
        assert marker not in text, marker
    # No line of any solution survives (lines the scaffold itself gives are allowed).
    release_nb = nbformat.read(RELEASE / "nmf.ipynb", as_version=4)
    given = {line.strip() for cell in release_nb.cells for line in cell.source.splitlines()}
    source_nb = nbformat.read(SOURCE / "nmf.ipynb", as_version=4)
    for cell in source_nb.cells:
        for block in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S):
            for line in block.splitlines():
                if len(line.strip()) > 12:
                    assert line.strip() not in given, f"solution line in the release: {line.strip()}"


def test_every_answer_cell_is_a_stub():
    notebook = nbformat.read(RELEASE / "nmf.ipynb", as_version=4)
    answers = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(answers) == len(reference_answers(SOURCE / "nmf.ipynb")) == 15
    for cell in answers:
        assert "YOUR CODE HERE" in cell.source or cell.source == "YOUR ANSWER HERE"
    for cell in notebook.cells:
        assert not cell.get("outputs")
        assert not cell.get("execution_count")


def test_points_add_up_to_twenty():
    notebook = nbformat.read(SOURCE / "nmf.ipynb", as_version=4)
    points = [
        c.metadata["nbgrader"].get("points", 0)
        for c in notebook.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    ]
    assert sum(points) == 20


def test_release_runs_without_the_reference_package(tmp_path):
    """A student has the release and the course environment, not nmf_helpers."""
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'nmf_helpers':\n"
        "            raise ImportError('nmf_helpers is not in the course environment')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import movielens, handin\n"
        "try:\n"
        "    import nmf_helpers\n"
        "except ImportError:\n"
        "    print('blocked')\n"
    )
    result = subprocess.run([sys.executable, "-c", blocker], cwd=RELEASE, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "blocked"


def test_course_environment_does_not_install_the_reference_package():
    # What students install: environment.yml (conda), which installs the lock requirements.txt (pip).
    environment = ""
    for name in ("environment.yml", "requirements.txt"):
        lines = (ROOT / name).read_text().splitlines()
        environment += "\n".join(line.split("#")[0] for line in lines) + "\n"  # what is read, not comments
    assert "nmf_helpers" not in environment
    assert "nmf-course-kit" not in environment
    assert not re.search(r"^\s*(-\s*)?-e\b|^\s*-\s*\.\s*$|file:", environment, re.M)
    for package in (
        "numpy",
        "pandas",
        "matplotlib",
        "scikit-learn",
        "jupyterlab",
        "nbgrader",
        "nbconvert",
        "pooch",
    ):
        assert re.search(rf"^{package}==", environment, re.M), package


def test_source_passes_nbgrader_validate(released_course, data_env):
    result = nbgrader(released_course, "validate", "source/ex08/nmf.ipynb", env=data_env)
    assert "Success! Your notebook passes all the tests." in result.stdout + result.stderr


def test_validate_in_the_students_folder_finds_its_config(tmp_path, data_env):
    """`nbgrader validate nmf.ipynb` in the release folder reads the release's nbgrader_config.py
    (no "No nbgrader_config.py file found" line), with the grader's cell timeout."""
    folder = tmp_path / "ex08"
    shutil.copytree(RELEASE, folder)
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", "nmf.ipynb"],
        cwd=folder,
        env={**os.environ, **data_env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert "Validating '" in output, output[-2000:]
    assert "No nbgrader_config.py file found" not in output
    assert "VALIDATION FAILED" in output  # the stubs fail, and validate says so
    config = (folder / "nbgrader_config.py").read_text()
    graders = re.search(r"^c\.Execute\.timeout = (\d+)", (ROOT / "nbgrader_config.py").read_text(), re.M)[1]
    assert f"c.Execute.timeout = {graders}" in config  # the course's own limit per cell
    assert "import nmf" not in config  # students have no nmf_kit


def test_release_fails_every_test_under_validate_invert(released_course, data_env):
    result = nbgrader(released_course, "validate", "--invert", "release/ex08/nmf.ipynb", env=data_env)
    assert "Success! The notebook does not pass any tests." in result.stdout + result.stderr


def test_nbgrader_extensions_load():
    lab = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True, text=True
    )
    assert re.search(r"@jupyter/nbgrader v0\.9\.6 .*enabled.*OK", lab.stdout + lab.stderr)
    server = subprocess.run(
        [sys.executable, "-m", "jupyter", "server", "extension", "list"], capture_output=True, text=True
    )
    output = server.stdout + server.stderr
    for extension in ("formgrader", "assignment_list", "validate_assignment"):
        assert re.search(rf"nbgrader\.server_extensions\.{extension}\s+.*OK", output), extension
    assert os.environ.get("NBGRADER_EXECUTION") is None
