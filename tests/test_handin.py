"""The students' hand-in step (release/ex08/handin.py), run as a student would."""

import ast
import json
import re
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


def _blocking(*names):
    """Python code that makes ``import <name>`` fail for each of ``names``, as on a machine without them."""
    return (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {names!r}:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
    )


def _assert_formulas_offline(html):
    """The page draws its formulas as MathML and fetches no script (no MathJax from a CDN)."""
    from nmf_kit.pages import has_raw_math

    assert html.count("<math") >= 10  # the notebook's formulas
    assert not has_raw_math(html)  # none left as $...$ for a script to typeset
    assert "mathjax" not in html.lower()
    assert not re.search(r"<script[^>]*\bsrc=", html)  # no script loaded from anywhere
    assert not re.search(r"import\(\s*[\"']https?:", html)  # nor imported by a module script


def test_exported_html_shows_formulas_without_network(tmp_path):
    """handin.py alone (no kit, no course library) renders the formulas: markdown and LaTeX outputs."""
    notebook = nbformat.read(RELEASE / "nmf.ipynb", as_version=4)
    latex = nbformat.v4.new_output(
        "display_data", data={"text/latex": r"$\sqrt{\kappa}$", "text/plain": "loss"}
    )
    notebook.cells.append(nbformat.v4.new_code_cell("loss", outputs=[latex]))
    nbformat.write(notebook, tmp_path / "nmf.ipynb")
    code = _blocking("nmf_kit", "nmf_helpers", "nmf_course") + (
        "import nbformat, handin\n"
        f"notebook = nbformat.read({str(tmp_path / 'nmf.ipynb')!r}, as_version=4)\n"
        f"print(handin.export_html(notebook, {str(tmp_path / 'nmf.html')!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=RELEASE, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
    html = (tmp_path / "nmf.html").read_text(encoding="utf-8")
    _assert_formulas_offline(html)
    assert "<msqrt><mrow><mi>κ</mi></mrow></msqrt>" in html  # the LaTeX output, as MathML
    # standalone: it imports nothing of the kit or the course library, even lazily
    imported = set()
    for node in ast.walk(ast.parse((RELEASE / "handin.py").read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert "latex2mathml" in imported
    assert not imported & {"nmf_kit", "nmf_helpers", "nmf_course"}, imported


def test_without_latex2mathml_the_page_says_it_needs_the_network(tmp_path):
    """An environment made before latex2mathml was added still hands in, and says what the page needs."""
    folder = _student_folder(tmp_path)
    notebook = nbformat.read(folder / "nmf.ipynb", as_version=4)
    next(c for c in notebook.cells if c.cell_type == "code").execution_count = 1  # "has been run"
    nbformat.write(notebook, folder / "nmf.ipynb")
    code = _blocking("latex2mathml") + (
        "import handin\n"
        f"sys.exit(handin.main(['--id', {STUDENT!r}, '--skip-validation', '--allow-failures']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "nmf.html needs the network to show its formulas" in result.stdout
    assert "pip install latex2mathml" in result.stdout
    assert (folder / f"{STUDENT}_ex08.zip").is_file()
    assert "mathjax" in (folder / "nmf.html").read_text(encoding="utf-8").lower()


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
        html = archive.read("nmf.html").decode("utf-8")
        assert "data:image/png;base64" in html  # the student's plots
    _assert_formulas_offline(html)
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
    # named by grade_id and what the test checks, not by a line starting with the docstring's quotes
    assert "failing: test_recommend_unseen: recommend_movies returns n movies the user has not rated" in (
        result.stdout
    )
    assert 'failing: """' not in result.stdout
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
    assert "\x1b" not in summary  # no terminal colour codes
    assert "\x1b" not in result.stdout
    assert "test_recommend_unseen: recommend_movies returns" in summary
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
