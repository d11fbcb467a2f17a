"""The students' hand-in step (release/ex08/handin.py), run as a student would."""

import json
import shutil
import subprocess
import sys
import zipfile

import nbformat
import pytest
from conftest import ROOT
from corpus import variants
from nbclient import NotebookClient

from nmf_kit.handins import make_handin

pytestmark = pytest.mark.slow
RELEASE = ROOT / "release" / "ex08"


def _student_folder(tmp_path, notebook=None):
    folder = tmp_path / "ex08"
    shutil.copytree(RELEASE, folder)
    if notebook is not None:
        nbformat.write(notebook, folder / "nmf.ipynb")
    return folder


STUDENT = "s1234567"


def _run(folder, *args, env, student=STUDENT):
    command = [sys.executable, "handin.py", *args] + (["--id", student] if student else [])
    return subprocess.run(
        command, cwd=folder, capture_output=True, text=True, env=env, timeout=900, stdin=subprocess.DEVNULL
    )


def _handin_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("student_handin", RELEASE / "handin.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _executed(notebook, folder, env):
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(folder)}},
    )
    import os

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return notebook


@pytest.fixture
def env(data_env):
    import os

    return {**os.environ, **data_env}


def test_unrun_notebook_is_refused(tmp_path, env):
    folder = _student_folder(tmp_path)
    result = _run(folder, env=env)
    assert result.returncode == 1
    assert "has not been run" in result.stderr
    assert not (folder / "ex08.zip").exists()


def test_broken_notebook_is_refused(tmp_path, env):
    folder = _student_folder(tmp_path)
    (folder / "nmf.ipynb").write_text("{ this is not json")
    result = _run(folder, env=env)
    assert result.returncode == 1
    assert "is not a valid notebook" in result.stderr
    assert not (folder / "ex08.zip").exists()


def test_missing_notebook_is_refused(tmp_path, env):
    folder = _student_folder(tmp_path)
    (folder / "nmf.ipynb").unlink()
    result = _run(folder, env=env)
    assert result.returncode == 1
    assert "does not exist" in result.stderr


def test_complete_notebook_is_validated_exported_and_zipped(tmp_path, env, data_env):
    folder = _student_folder(tmp_path)
    notebook = make_handin(RELEASE / "nmf.ipynb", ROOT / "source/ex08/nmf.ipynb")
    nbformat.write(_executed(notebook, folder, data_env), folder / "nmf.ipynb")
    result = _run(folder, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All questions answered; all visible tests pass." in result.stdout
    code_cells = sum(c.cell_type == "code" for c in notebook.cells)
    assert f"ran cell {code_cells} of {code_cells}" in result.stdout  # progress while it runs
    zip_path = folder / f"{STUDENT}_ex08.zip"
    with zipfile.ZipFile(zip_path) as archive:
        assert sorted(archive.namelist()) == ["nmf.html", "nmf.ipynb"]
        assert json.loads(archive.read("nmf.ipynb")) == json.loads((folder / "nmf.ipynb").read_text())
        assert b"data:image/png;base64" in archive.read("nmf.html")  # the student's plots
    assert not (folder / "ex08.zip").exists()
    summary = (folder / "handin_summary.txt").read_text()
    assert f"Wrote {zip_path}" in summary
    assert "handin_summary.txt" in result.stdout
    # Handing in again keeps the previous zip.
    result = _run(folder, "--skip-validation", env=env)
    assert result.returncode == 0
    assert (folder / f"{STUDENT}_ex08.previous.zip").is_file()
    assert f"{STUDENT}_ex08.previous.zip" in result.stdout


def test_failing_tests_and_unanswered_questions_are_named(tmp_path, env, data_env):
    folder = _student_folder(tmp_path)
    buggy = dict(variants()["bug_rated_included"].ANSWERS)
    cells = nbformat.read(RELEASE / "nmf.ipynb", as_version=4).cells
    release = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    unanswered = ["loss_answer", "genre_answer", "prototypes_answer", "choose_m", "own_ratings_answer"]
    buggy.update({grade_id: release[grade_id] for grade_id in unanswered})
    notebook = make_handin(RELEASE / "nmf.ipynb", ROOT / "source/ex08/nmf.ipynb", buggy)
    nbformat.write(_executed(notebook, folder, data_env), folder / "nmf.ipynb")
    result = _run(folder, env=env)
    assert result.returncode == 1
    assert "recommend_movies returns n movies the user has not rated" in result.stdout
    assert "You did not provide a response" not in result.stdout
    named = [line for line in result.stdout.splitlines() if "not answered yet" in line]
    assert len(named) == len(set(named)) == len(unanswered)
    for grade_id in unanswered:
        assert any(f"({grade_id}, " in line for line in named), (grade_id, named)
    assert any(
        "(genre_answer, 2 points): How do the genres of liked and recommended" in line for line in named
    )
    assert "No zip written" in result.stderr
    assert not list(folder.glob("*.zip"))
    summary = (folder / "handin_summary.txt").read_text()
    assert all(line.strip() in summary for line in named)
    assert "No zip written" in summary
    result = _run(folder, "--allow-failures", env=env)
    assert result.returncode == 0
    assert (folder / f"{STUDENT}_ex08.zip").is_file()


def test_student_id_is_asked_for_checked_and_names_the_zip(tmp_path, env):
    folder = _student_folder(tmp_path)
    result = _run(folder, env=env, student=None)  # no terminal to ask in
    assert result.returncode == 1
    assert "--id <your student id>" in result.stderr
    result = _run(folder, env=env, student="../evil")
    assert result.returncode == 1
    assert "is not a valid student id" in result.stderr
    handin = _handin_module()
    assert handin.ask_student_id(None, ask=lambda prompt: " s7654321 ", interactive=True) == "s7654321"
    assert handin.ask_student_id("alice.smith-2") == "alice.smith-2"
    for bad in ("", "a/b", "-x", "a b", "x" * 70):
        with pytest.raises(handin.HandInError, match="not a valid student id"):
            handin.check_student_id(bad)
    from nmf_kit.collect import DEFAULT_PATTERN, compile_pattern

    pattern = compile_pattern(DEFAULT_PATTERN, "ex08")  # what the instructors' collect step reads
    assert pattern.match(f"{STUDENT}_ex08.zip")["student_id"] == STUDENT
    assert pattern.match("alice.smith-2_ex08.zip")["student_id"] == "alice.smith-2"


def test_release_last_cell_tells_where_to_read_the_summary():
    last = nbformat.read(RELEASE / "nmf.ipynb", as_version=4).cells[-1].source
    assert "python handin.py" in last
    assert "handin_summary.txt" in last
    assert "Validate" in last
