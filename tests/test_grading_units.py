"""Grading internals without running nbgrader's autograde: whose failure it is, seeds, reasons in
the grader's own words, the check kernel's allow-list, and recording an outcome once."""

import json
from dataclasses import replace

import nbformat
import pytest

from nmf_kit.grading import blame, sandbox, worker
from nmf_kit.grading.jobs import Bundle, Job, Outcome, handin_seed

BUNDLE = Bundle("ex08", "config", {"nmf.ipynb": b"{}", "movielens.py": b"# helper"}, b"")


def _job(student="s1"):
    return Job(student, {"nmf.ipynb": b'{"cells": []}'}, 7, BUNDLE)


# ----------------------------------------------------------------------------- blame
@pytest.mark.parametrize(
    ("control", "expected"),
    [("graded", "failed"), ("error", "error")],
    ids=["control-grades", "control-fails"],
)
def test_an_error_is_the_graders_only_when_the_control_fails_too(control, expected):
    graded = []

    def grade(job):
        graded.append(job)
        return Outcome(job.student, control, 1.0, "" if control == "graded" else "the sandbox is broken")

    settle = blame.Blame(grade)
    outcome = settle.settle(_job(), Outcome("s1", "error", 2.0, "the grader stopped on a KeyError"))
    assert outcome.status == expected
    assert outcome.reason.startswith("the grader stopped on a KeyError; ")
    assert ("cause is in this hand-in" in outcome.reason) == (expected == "failed")
    # the control is the source notebook handed in, under its own name; graded once per run
    assert [j.student for j in graded] == [blame.CONTROL]
    assert graded[0].files == {"nmf.ipynb": b"{}"}
    settle.settle(_job("s2"), Outcome("s2", "error", 2.0, "again"))
    assert len(graded) == 1


def test_outcomes_that_are_not_errors_need_no_control():
    settle = blame.Blame(lambda job: pytest.fail("no control is needed"))
    for status in ("graded", "failed"):
        outcome = Outcome("s1", status, 1.0, "why")
        assert settle.settle(_job(), outcome) is outcome


# ----------------------------------------------------------------------------- reasons
def test_reasons_never_quote_what_a_handin_can_write():
    planted = "Traceback: SandboxUnavailable bwrap: cannot start the grader <b>"
    for failure in ("KernelStartError", "GraderError", "KeyError", "DeadKernelError", "CellTimeoutError"):
        kind, reason = worker._reason([(failure, planted)], None, 1)
        assert planted not in reason
        assert "<b>" not in reason
        assert kind == ("failed" if failure in ("DeadKernelError", "CellTimeoutError") else "error")
    assert worker._reason([], None, 3) == ("error", "nbgrader ended (status 3) without grading the notebook")


# ----------------------------------------------------------------------------- seeds
def test_seeds_depend_on_the_secret_the_student_and_every_byte():
    files = {"nmf.ipynb": b"abc", "extra.py": b"x"}
    seed = handin_seed(b"secret", "ex08", "s1", files)
    assert seed == handin_seed(b"secret", "ex08", "s1", dict(reversed(files.items())))
    assert seed != handin_seed(b"secret", "ex08", "s2", files)
    assert seed != handin_seed(b"other", "ex08", "s1", files)
    assert seed != handin_seed(b"secret", "ex08", "s1", {**files, "nmf.ipynb": b"abd"})
    assert 0 <= seed < 2**63


# ----------------------------------------------------------------------------- the check kernel's packages
def test_the_check_kernel_can_import_numpy_scipy_pandas_and_no_library_nmf():
    trees = [b for b, _ in sandbox._read_only(None)[0]]
    sealed, allowed = sandbox.allowed_packages(trees)
    names = {path.rsplit("/", 1)[1].split("-")[0].removesuffix(".py") for path, _ in allowed}
    assert {"numpy", "scipy", "pandas", "ipykernel", "IPython"} <= names
    assert (
        not {"sklearn", "scikit_learn", "matplotlib", "nmf_helpers", "nmf_kit", "nbgrader", "surprise"}
        & names
    )
    assert all(any(path.startswith(s + "/") for s in sealed) for path, _ in allowed)  # put back inside a seal


# ----------------------------------------------------------------------------- recording
@pytest.mark.slow
def test_an_outcome_is_recorded_once_with_the_graders_scores(courses):
    """The coordinator writes autograded/ and the gradebook from a worker's outcome with nbgrader's
    API: a test cell scores when its record passed, an unchanged answer scores 0, the flag is set."""
    from nbgrader.api import Gradebook

    from nmf_kit.course import course_directory
    from nmf_kit.grading.record import VERDICTS, Recorder

    course = courses("record")  # its own: the shared released course must stay without hand-ins
    submitted = course / "submitted" / "rec" / "ex08"
    submitted.mkdir(parents=True)
    release = nbformat.read(course / "release" / "ex08" / "nmf.ipynb", as_version=4)
    nbformat.write(release, submitted / "nmf.ipynb")
    (submitted / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    (submitted / "notes.txt").write_text("mine")
    (submitted / "nmf.html").write_text("my own export")  # the feedback page will take this name
    tests = [
        c.metadata.nbgrader["grade_id"]
        for c in release.cells
        if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.get("solution")
    ]
    cells = {name: {"visible_ok": name == "test_update_steps", "verdicts": []} for name in tests}
    record = {"seed": 1, "cells": cells, "flags": ["looked odd"]}
    outcome = Outcome(
        "rec", "graded", 1.0, notebooks={"nmf.ipynb": nbformat.writes(release)}, records={"nmf": record}
    )
    coursedir = course_directory(course)
    assert Recorder(course, coursedir, "ex08").graded(outcome) == ""

    with Gradebook(coursedir.db_url) as gradebook:
        submission = gradebook.find_submission_notebook("nmf", "ex08", "rec")
        scores = {g.name: g.auto_score for g in submission.grades}
        assert scores["test_update_steps"] == 2.0
        assert all(scores[name] == 0.0 for name in tests if name != "test_update_steps")
        assert scores["own_ratings_answer"] == 0.0  # unchanged from the release
        assert submission.flagged
        assert str(gradebook.find_submission("ex08", "rec").timestamp).startswith("2026-12-01 10:00:00")
    folder = course / "autograded" / "rec" / "ex08"
    # as nbgrader leaves it: the submission's files, the source's other files over them
    course_files = {p.name for p in (course / "source" / "ex08").iterdir() if p.suffix != ".ipynb"}
    handed_in = {"nmf.ipynb", "notes.txt", "timestamp.txt", "nmf.handed-in.html"}
    assert {p.name for p in folder.iterdir()} == handed_in | course_files
    assert (folder / "nmf.handed-in.html").read_text() == "my own export"
    assert "movielens.py" in course_files
    assert json.loads((course / VERDICTS / "ex08" / "rec.json").read_text()) == {"nmf": record}
    # recorded again (a re-grade): replaced, not added to
    again = replace(outcome, records={"nmf": {**record, "flags": []}})
    assert Recorder(course, coursedir, "ex08").graded(again) == ""
    with Gradebook(coursedir.db_url) as gradebook:
        assert not gradebook.find_submission_notebook("nmf", "ex08", "rec").flagged
