"""The instructors' pipeline with the real nbgrader: hand-ins -> collect -> autograde -> feedback -> export.

One course is graded once (module fixture), sandboxed, with the hidden checks decided outside
the kernels: the reference solution, the untouched release, correct variants and faulty variants
from the corpus, each losing exactly the tests the fast corpus check says it loses.
"""

import base64
import re
import zipfile

import nbformat
import pandas as pd
import pytest
from corpus import grade_in_process, variants

from nmf_kit.collect import collect
from nmf_kit.demo import write_handin_zip
from nmf_kit.gradebook import grade_table
from nmf_kit.grading.batch import autograde_class
from nmf_kit.handins import make_handin
from nmf_kit.runner import nbgrader

pytestmark = pytest.mark.slow
GRADED_VARIANTS = (
    "correct_z_first",
    "correct_normalised",
    "correct_float32",
    "bug_rated_included",
    "bug_ascending",
    "bug_user_position",
    "bug_no_clipping",
    "bug_calls_sklearn",
    "bug_mean_over_users",
    "bug_jacobi",
    "bug_delegates_obfuscated",
)


def _test_points(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
        for c in notebook.cells
        if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")
    }


@pytest.fixture(scope="module")
def graded(courses):
    course = courses("pipeline")
    release, source = course / "release/ex08/nmf.ipynb", course / "source/ex08/nmf.ipynb"
    corpus = variants()
    handins = {"reference": make_handin(release, source), "untouched": nbformat.read(release, as_version=4)}
    for name in GRADED_VARIANTS:
        handins[name.replace("_", "-")] = make_handin(release, source, corpus[name].ANSWERS)
    for student, notebook in handins.items():
        write_handin_zip(notebook, course / "downloads" / f"{student}_ex08.zip")
    outcomes = collect(course / "downloads", course)
    results = autograde_class(course, "ex08", workers=2)  # sandboxed, hidden checks outside the kernels
    assert all(r.status == "graded" for r in results), results
    nbgrader(course, "generate_feedback", "ex08")
    nbgrader(course, "export")
    return course, handins, outcomes, {r.student: r for r in results}


def _lost_tests(course, student, points):
    """Grade ids of the tests a student did not get full points for (from the gradebook)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook("nmf", "ex08", student)
        return {g.name for g in notebook.grades if g.name in points and (g.auto_score or 0) < g.max_score}


def test_every_handin_was_collected(graded):
    course, handins, outcomes, _ = graded
    assert sorted(o.student_id for o in outcomes if o.status == "collected") == sorted(handins)
    for student, notebook in handins.items():  # the zip round-trip keeps the notebook as handed in
        collected = nbformat.read(course / "submitted" / student / "ex08" / "nmf.ipynb", as_version=4)
        assert collected == notebook
        assert (course / "submitted" / student / "ex08" / "nmf.html").stat().st_size > 10_000


def test_reference_gets_every_automatic_point_and_release_none(graded):
    course, _, _, _ = graded
    table = grade_table(course).set_index("student")
    assert table.loc["reference", "tests"] == table.loc["reference", "tests max"] == 12
    assert table.loc["untouched", "tests"] == 0
    assert (table["assignment max"] == 20).all()
    assert table.loc["reference", "manual grading left"]


@pytest.mark.parametrize("name", GRADED_VARIANTS)
def test_variant_loses_exactly_the_points_of_its_tests(graded, name):
    course, _, _, _ = graded
    points = _test_points(course / "source/ex08/nmf.ipynb")
    variant = variants()[name]
    lost = _lost_tests(course, name.replace("_", "-"), points)
    assert lost == set(variant.LOSES)
    assert lost == grade_in_process(variant.ANSWERS)  # the fast corpus check agrees with nbgrader
    table = grade_table(course).set_index("student")
    assert table.loc[name.replace("_", "-"), "tests"] == 12 - sum(points[t] for t in variant.LOSES)


def test_feedback_exists_shows_plots_and_hides_hidden_tests(graded):
    course, handins, _, _ = graded
    for student in handins:
        html = (course / "feedback" / student / "ex08" / "nmf.html").read_text(encoding="utf-8")
        for secret in ("BEGIN HIDDEN TESTS", "grading.check", "nmf_helpers", "_reference"):
            assert secret not in html, (student, secret)
    reference = (course / "feedback/reference/ex08/nmf.html").read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', reference)
    assert len(images) >= 3
    assert all(base64.b64decode(i)[:4] == b"\x89PNG" for i in images)
    # A failed test is explained in words; a hidden one by its message only.
    buggy = (course / "feedback/bug-rated-included/ex08/nmf.html").read_text(encoding="utf-8")
    assert "user 1 rated movies 10 and 30: recommend only the others" in buggy  # the visible test caught it
    sklearn = (course / "feedback/bug-calls-sklearn/ex08/nmf.html").read_text(encoding="utf-8")
    assert "implement the multiplicative updates yourself" in sklearn


def test_autograded_notebook_keeps_the_hidden_tests_for_instructors(graded):
    course, _, _, _ = graded
    assert "BEGIN HIDDEN TESTS" in (course / "autograded/reference/ex08/nmf.ipynb").read_text()


def test_grades_csv_has_one_row_per_student(graded):
    course, handins, _, _ = graded
    grades = pd.read_csv(course / "grades.csv")
    assert sorted(grades["student_id"]) == sorted(handins)
    assert (grades["max_score"] == 20).all()
    assert grades.set_index("student_id").loc["reference", "score"] == 12


def test_handin_zip_holds_notebook_and_html(graded):
    course, _, _, _ = graded
    with zipfile.ZipFile(course / "downloads/reference_ex08.zip") as archive:
        assert sorted(archive.namelist()) == ["nmf.html", "nmf.ipynb"]


def test_delegation_fails_where_the_checks_run_and_the_feedback_says_why(graded):
    """Calling scikit-learn, plainly or through importlib and computed names, fails in the check
    kernel: the tests of non_negative are lost, the feedback states the rule, and nothing in this
    class of honest and buggy hand-ins is flagged for the instructor."""
    from nbgrader.api import Gradebook

    course, handins, _, _ = graded
    for student in ("bug-calls-sklearn", "bug-delegates-obfuscated"):
        page = (course / "feedback" / student / "ex08" / "nmf.html").read_text(encoding="utf-8")
        assert "only the standard library, numpy, scipy and pandas" in page, student
        assert "implement the multiplicative updates yourself" in page, student
    reference = (course / "feedback/reference/ex08/nmf.html").read_text(encoding="utf-8")
    assert "implement the multiplicative updates yourself" not in reference
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in handins:
            assert not gradebook.find_submission_notebook("nmf", "ex08", student).flagged, student


def test_hidden_check_failures_are_explained_in_the_feedback(graded):
    course, _, _, _ = graded
    mean = (course / "feedback/bug-mean-over-users/ex08/nmf.html").read_text(encoding="utf-8")
    assert "Grader: hidden checks of this cell failed" in mean
    assert "not sorted by that user" in mean or "did not choose the movies by that user" in mean


def test_each_handins_verdicts_and_seed_are_kept_for_the_instructor(graded):
    import json

    course, handins, _, _ = graded
    seeds = set()
    for student in handins:
        record = json.loads((course / ".nmf-kit/verdicts/ex08" / f"{student}.json").read_text())["nmf"]
        seeds.add(record["seed"])
        assert set(record["cells"]) >= {"test_update_steps", "test_recommend_user"}
    assert len(seeds) == len(handins)  # a seed per hand-in
    assert not (course / "feedback/reference/ex08/.nmf-kit").exists()
