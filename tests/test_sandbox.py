"""Grading in a bubblewrap sandbox: a hand-in sees only its own folder.

A hostile hand-in tries each escape; every attempt must fail, the hand-in is
graded for the rest, and no file of the course changes.
"""

import hashlib
import os
import socket
import textwrap

import nbformat
import pytest
from conftest import ROOT

from nmf_kit.course import grade_table, nbgrader, new_course
from nmf_kit.grader import autograde_class
from nmf_kit.handins import make_handin
from nmf_kit.sandbox import SandboxUnavailable

pytestmark = pytest.mark.slow

ESCAPES = textwrap.dedent(
    """
    import os, pathlib, socket
    course = pathlib.Path.cwd().parents[2]  # autograded/<me>/ex08 -> the course root
    def attempt(name, action):
        try:
            action()
            print(f"{name}: LEAKED")
        except BaseException as exc:
            print(f"{name}: BLOCKED ({type(exc).__name__})")
    attempt("read-neighbour", lambda: (course / "submitted" / "victim" / "ex08" / "nmf.ipynb").read_bytes())
    attempt("read-gradebook", lambda: (course / "gradebook.db").read_bytes())
    attempt("read-source", lambda: (course / "source" / "ex08" / "nmf.ipynb").read_bytes())
    attempt("list-course", lambda: [p for p in course.iterdir() if p.name != "autograded"] or 1 / 0)
    attempt("write-course", lambda: (course / "pwned.txt").write_text("x"))
    attempt("write-neighbour", lambda: (course / "submitted" / "victim" / "ex08" / "nmf.ipynb").write_text("x"))
    attempt("write-home", lambda: (pathlib.Path(os.environ.get("NMF_TEST_REAL_HOME", "/root")) / "pwned.txt").write_text("x"))
    attempt("network", lambda: socket.create_connection(("127.0.0.1", int(os.environ["NMF_TEST_PORT"])), timeout=3))
    attempt("memory", lambda: bytearray(50 * 2**30))
    (pathlib.Path.cwd() / "mine.txt").write_text("a hand-in may write in its own folder")
    print("own-folder: written")
    """
).strip()


def _course_files(course):
    """sha256 of every file of the course that grading must not change."""
    skip = ("autograded", "feedback", ".nmf-kit")
    digests = {}
    for path in sorted(course.rglob("*")):
        relative = path.relative_to(course)
        if (
            path.is_file()
            and relative.parts[0] not in skip
            and path.name not in ("gradebook.db", "autograde-report.csv")
        ):
            digests[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory, data_env):
    patch = pytest.MonkeyPatch()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    for key, value in {**data_env, "NMF_TEST_PORT": str(listener.getsockname()[1]),
                       "NMF_TEST_REAL_HOME": os.path.expanduser("~")}.items():  # fmt: skip
        patch.setenv(key, value)
    course = new_course(tmp_path_factory.mktemp("sandbox") / "course", ROOT)
    nbgrader(course, "generate_assignment", "ex08", "--force", env=data_env)
    release, source = course / "release/ex08/nmf.ipynb", course / "source/ex08/nmf.ipynb"
    for student, notebook in {
        "victim": make_handin(release, source),
        "attacker": make_handin(release, source, {"prototypes_code": ESCAPES}),
    }.items():
        (course / "submitted" / student / "ex08").mkdir(parents=True)
        nbformat.write(notebook, course / "submitted" / student / "ex08" / "nmf.ipynb")
    before = _course_files(course)
    home_before = set(os.listdir(os.path.expanduser("~")))
    lines = []
    results = autograde_class(course, workers=2, log=lines.append)
    yield course, {r.student: r for r in results}, before, home_before, lines
    listener.close()
    patch.undo()


def _printed(course, student, grade_id):
    notebook = nbformat.read(course / "autograded" / student / "ex08" / "nmf.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def test_every_escape_fails(sandboxed):
    course, _, _, _, lines = sandboxed
    assert "each kernel in a bwrap sandbox" in lines[0]
    printed = _printed(course, "attacker", "prototypes_code")
    attempts = dict(line.split(": ", 1) for line in printed.strip().splitlines())
    assert len(attempts) == 10, printed
    for name, outcome in attempts.items():
        if name == "own-folder":
            assert outcome == "written"
        else:
            assert outcome.startswith("BLOCKED"), (name, outcome)
    assert "MemoryError" in attempts["memory"]
    assert (course / "autograded/attacker/ex08/mine.txt").is_file()


def test_hostile_handin_is_graded_for_the_rest_and_changes_nothing(sandboxed):
    course, results, before, home_before, _ = sandboxed
    assert results["attacker"].status == results["victim"].status == "graded"
    table = grade_table(course).set_index("student")
    assert (
        table.loc["attacker", "tests"] == table.loc["victim", "tests"] == 12
    )  # the fidelity holds in the sandbox
    assert _course_files(course) == before
    assert not (course / "pwned.txt").exists()
    assert set(os.listdir(os.path.expanduser("~"))) == home_before


def test_grading_refuses_to_start_without_bwrap(tmp_path, monkeypatch):
    import sys

    course = new_course(tmp_path / "course", ROOT)
    (course / "submitted/someone/ex08").mkdir(parents=True)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable))  # a machine without bubblewrap
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap.*c.Sandbox.tool = 'none'"):
        autograde_class(course, log=lambda line: None)


def test_opting_out_warns_on_every_run(tmp_path, data_env, monkeypatch):
    for key, value in data_env.items():
        monkeypatch.setenv(key, value)
    course = new_course(tmp_path / "course", ROOT)
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text().replace('c.Sandbox.tool = "bwrap"', 'c.Sandbox.tool = "none"'))
    nbgrader(course, "generate_assignment", "ex08", "--force", env=data_env)
    (course / "submitted/untouched/ex08").mkdir(parents=True)
    nbformat.write(
        nbformat.read(course / "release/ex08/nmf.ipynb", as_version=4),
        course / "submitted/untouched/ex08/nmf.ipynb",
    )
    for _ in range(2):
        lines = []
        autograde_class(course, force=True, log=lines.append)
        assert any("WARNING: grading WITHOUT a sandbox" in line for line in lines)
