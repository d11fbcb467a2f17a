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


def _run(folder, *args, env):
    return subprocess.run(
        [sys.executable, "handin.py", *args], cwd=folder, capture_output=True, text=True, env=env, timeout=600
    )


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
    assert "All visible tests pass." in result.stdout
    with zipfile.ZipFile(folder / "ex08.zip") as archive:
        assert sorted(archive.namelist()) == ["nmf.html", "nmf.ipynb"]
        assert json.loads(archive.read("nmf.ipynb")) == json.loads((folder / "nmf.ipynb").read_text())
        assert b"data:image/png;base64" in archive.read("nmf.html")  # the student's plots
    # Handing in again keeps the previous zip.
    result = _run(folder, "--skip-validation", env=env)
    assert result.returncode == 0
    assert (folder / "ex08.previous.zip").is_file()
    assert "ex08.previous.zip" in result.stdout


def test_failing_tests_stop_the_handin_unless_allowed(tmp_path, env, data_env):
    folder = _student_folder(tmp_path)
    buggy = variants()["bug_rated_included"].ANSWERS
    notebook = make_handin(RELEASE / "nmf.ipynb", ROOT / "source/ex08/nmf.ipynb", buggy)
    nbformat.write(_executed(notebook, folder, data_env), folder / "nmf.ipynb")
    result = _run(folder, env=env)
    assert result.returncode == 1
    assert "recommend_movies returns n movies the user has not rated" in result.stdout
    assert "No zip written" in result.stderr
    assert not (folder / "ex08.zip").exists()
    result = _run(folder, "--allow-failures", env=env)
    assert result.returncode == 0
    assert (folder / "ex08.zip").is_file()
