"""The autograder under bad hand-ins, graded as a class in parallel with the real nbgrader.

Every hand-in ends with a gradebook row and a reason a person can read, and
none of them changes another's grade (a reference hand-in, "control", is in the
same batch). Then: parallel grading loses no grade against a serial run.
"""

import copy

import nbformat
import pytest
from conftest import ROOT
from corpus import variants

from nmf_kit.course import grade_table, nbgrader, new_course
from nmf_kit.grader import autograde_class
from nmf_kit.handins import make_handin

pytestmark = pytest.mark.slow
TESTS = {"test_update_steps": 2, "test_non_negative_shapes": 1, "test_loss_never_increases": 2,
         "test_zero_rows_and_columns": 1, "test_reconstruction_error": 2, "test_rating_matrix": 1,
         "test_recommend_unseen": 1, "test_recommend_order": 1, "test_recommend_user": 1}  # fmt: skip
NON_NEGATIVE_TESTS = ("test_non_negative_shapes", "test_zero_rows_and_columns", "test_reconstruction_error")


def _without(*lost):
    return sum(TESTS.values()) - sum(TESTS[name] for name in lost)


def _is_test(cell):
    meta = cell.metadata.get("nbgrader", {})
    return meta.get("grade") and not meta.get("solution")


def _hostile_handins(course):
    release, source = course / "release/ex08/nmf.ipynb", course / "source/ex08/nmf.ipynb"
    corpus = variants()

    def handin(changes=None):
        return make_handin(release, source, changes)

    reference = handin()
    cases = {}  # student -> (notebook or raw text, relative path, expected status, expected test points)
    cases["control"] = (reference, "nmf.ipynb", "graded", _without())
    cases["untouched"] = (nbformat.read(release, as_version=4), "nmf.ipynb", "graded", 0)
    cases["loops-forever"] = (
        handin({"non_negative": "def non_negative(data, num_components, **kwargs):\n    while True:\n        pass"}),
        "nmf.ipynb", "graded", _without(*NON_NEGATIVE_TESTS),
    )  # fmt: skip
    cases["kills-kernel"] = (handin({"rating_matrix": "import os\nos._exit(1)"}), "nmf.ipynb", "failed", 0)
    cases["sys-exit"] = (
        handin({"rating_matrix": "import sys\nsys.exit('bye')"}),
        "nmf.ipynb",
        "graded",
        _without("test_rating_matrix"),
    )
    first_fails = handin({"update_rules": "raise RuntimeError('the first answer cell fails')"})
    cases["error-first-cell"] = (
        first_fails, "nmf.ipynb", "graded",
        _without("test_update_steps", "test_loss_never_increases", *NON_NEGATIVE_TESTS),
    )  # fmt: skip
    cases["huge-output"] = (
        handin({"prototypes_code": "for _ in range(200):\n    print('x' * 1_000_000)"}), "nmf.ipynb", "graded", _without(),
    )  # fmt: skip
    cases["invalid-json"] = ('{"cells": [ this is not json', "nmf.ipynb", "failed", 0)
    deleted = copy.deepcopy(reference)
    deleted.cells = [cell for cell in deleted.cells if not _is_test(cell)]
    cases["deleted-tests"] = (deleted, "nmf.ipynb", "graded", _without())
    edited = handin(corpus["bug_rated_included"].ANSWERS)
    for cell in edited.cells:
        if _is_test(cell):
            cell.source = "pass  # all good"
    cases["edited-tests"] = (edited, "nmf.ipynb", "graded", _without("test_recommend_unseen"))
    renamed_kernel = copy.deepcopy(reference)
    renamed_kernel.metadata["kernelspec"] = {
        "name": "my-own-python",
        "display_name": "Mine",
        "language": "python",
    }
    cases["kernel-name"] = (renamed_kernel, "nmf.ipynb", "graded", _without())
    nan = (
        "def non_negative(data, num_components, **kwargs):\n    X = np.asarray(data, dtype=float)\n"
        "    return np.full((X.shape[0], num_components), np.nan), np.full((num_components, X.shape[1]), np.nan)"
    )
    cases["nan-results"] = (
        handin({"non_negative": nan}),
        "nmf.ipynb",
        "graded",
        _without(*NON_NEGATIVE_TESTS),
    )
    cases["calls-sklearn"] = (
        handin(corpus["bug_calls_sklearn"].ANSWERS),
        "nmf.ipynb",
        "graded",
        _without(*NON_NEGATIVE_TESTS),
    )
    cheat = corpus["cheat_rebinds_numpy"]
    # Its np.all also breaks pandas in its own notebook, so its rating matrix fails too.
    cases["rebinds-numpy"] = (
        handin(cheat.ANSWERS),
        "nmf.ipynb",
        "graded",
        _without(*cheat.LOSES, "test_rating_matrix"),
    )
    cheat = corpus["cheat_rebinds_assertion"]
    cases["rebinds-assertion"] = (handin(cheat.ANSWERS), "nmf.ipynb", "graded", _without(*cheat.LOSES))
    cases["renamed-deep"] = (reference, "work/My NMF (final).ipynb", "graded", _without())
    return cases


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, data_env, monkeypatch_module):
    for key, value in data_env.items():
        monkeypatch_module.setenv(key, value)
    course = new_course(tmp_path_factory.mktemp("hostile") / "course", ROOT)
    nbgrader(course, "generate_assignment", "ex08", "--force", env=data_env)
    cases = _hostile_handins(course)
    for student, (notebook, relative, _, _) in cases.items():
        path = course / "submitted" / student / "ex08" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(notebook, str):
            path.write_text(notebook)
        else:
            nbformat.write(notebook, path)
    lines = []
    results = autograde_class(course, workers=2, cell_timeout=15, log=lines.append)
    return course, cases, {r.student: r for r in results}, lines


@pytest.fixture(scope="module")
def monkeypatch_module():
    patch = pytest.MonkeyPatch()
    yield patch
    patch.undo()


def test_every_handin_has_a_row_a_status_and_its_expected_points(hostile):
    course, cases, results, lines = hostile
    table = grade_table(course).set_index("student")
    assert sorted(table.index) == sorted(cases)  # a gradebook row for every hand-in
    for student, (_, _, status, points) in cases.items():
        assert results[student].status == status, (student, results[student])
        assert table.loc[student, "tests"] == points, (student, table.loc[student, "tests"], points)
    assert any("[" in line and "/16]" in line for line in lines)  # progress
    assert "2 failed" in lines[-1]


def test_failures_are_explained_and_flagged(hostile):
    from nbgrader.api import Gradebook

    course, _, results, _ = hostile
    assert "kernel died" in results["kills-kernel"].reason
    assert "not valid notebook JSON" in results["invalid-json"].reason
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student, words in (("kills-kernel", "kernel died"), ("invalid-json", "not valid notebook JSON")):
            notebook = gradebook.find_submission_notebook("nmf", "ex08", student)
            assert notebook.flagged
            assert not notebook.needs_manual_grade
            assert any(words in (c.auto_comment or "") for c in notebook.comments)
    report = (course / "autograde-report.csv").read_text()
    assert "kills-kernel,failed" in report
    assert "control,graded" in report


def test_timeouts_huge_output_and_moved_notebooks(hostile):
    course, _cases, results, _ = hostile
    looped = nbformat.read(course / "autograded/loops-forever/ex08/nmf.ipynb", as_version=4)
    errors = [
        o.get("ename") for c in looped.cells for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert "CellTimeoutError" in errors
    assert (course / "autograded/huge-output/ex08/nmf.ipynb").stat().st_size < 5_000_000
    assert "copied to nmf.ipynb" in results["renamed-deep"].reason
    assert (course / "submitted/renamed-deep/ex08/work/My NMF (final).ipynb").is_file()  # the original stays


def test_parallel_grading_loses_no_grade_against_serial(tmp_path, data_env, monkeypatch):
    for key, value in data_env.items():
        monkeypatch.setenv(key, value)
    corpus = variants()
    names = ["correct_z_first", "bug_rated_included", "bug_ascending", "bug_no_clipping", "bug_one_iteration",
             "bug_transposed", "correct_recommend_merge", "bug_user_position"]  # fmt: skip
    tables = {}
    for workers in (1, 2):
        course = new_course(tmp_path / f"course{workers}", ROOT)
        nbgrader(course, "generate_assignment", "ex08", "--force", env=data_env)
        for name in names:
            notebook = make_handin(
                course / "release/ex08/nmf.ipynb", course / "source/ex08/nmf.ipynb", corpus[name].ANSWERS
            )
            (course / "submitted" / name / "ex08").mkdir(parents=True)
            nbformat.write(notebook, course / "submitted" / name / "ex08" / "nmf.ipynb")
        results = autograde_class(course, workers=workers, log=lambda line: None)
        assert all(r.status == "graded" for r in results)
        tables[workers] = grade_table(course).set_index("student")["tests"]
    assert len(tables[2]) == len(names)
    assert tables[1].to_dict() == tables[2].to_dict()
    for name in names:
        assert tables[2][name] == _without(*corpus[name].LOSES)
