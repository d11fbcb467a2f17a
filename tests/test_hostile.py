"""The autograder under attack and under bad hand-ins, graded as a class with the real nbgrader
and the real sandbox.

Attacks (tests/hostile/*.py) implement nothing and try to get points anyway, or to read or print
what they must not: each gets no more automatic points than the untouched release, none of its
feedback quotes the hidden checks or the reference solutions, and a correct hand-in graded in the
same batch keeps every point. Bad hand-ins (loops, crashes, huge outputs, broken JSON, edited or
deleted test cells, misplaced notebooks) each end with a gradebook row and a reason.
"""

import copy
import html
import re
from pathlib import Path

import nbformat
import pytest
from corpus import variants

from nmf_kit.gradebook import grade_table
from nmf_kit.grading.batch import autograde_class
from nmf_kit.nbgrader_plugins import _secret_lines
from nmf_kit.runner import nbgrader

pytestmark = pytest.mark.slow
ATTACKS = variants(Path(__file__).with_name("hostile"))
TESTS = {"test_update_steps": 2, "test_non_negative_shapes": 1, "test_loss_never_increases": 2,
         "test_zero_rows_and_columns": 1, "test_reconstruction_error": 2, "test_rating_matrix": 1,
         "test_recommend_unseen": 1, "test_recommend_order": 1, "test_recommend_user": 1}  # fmt: skip
NON_NEGATIVE_TESTS = ("test_non_negative_shapes", "test_zero_rows_and_columns", "test_reconstruction_error")


@pytest.fixture(scope="module")
def courses(synthetic_courses):
    """This module's classes are graded on the synthetic stand-in (see conftest.py)."""
    return synthetic_courses


def _without(*lost):
    return sum(TESTS.values()) - sum(TESTS[name] for name in lost)


def _attack_notebook(courses, course, name, attack):
    answers = dict(attack.ANSWERS)
    if hasattr(attack, "PRINTED_LINES"):  # lines of the kit's hidden checks, "known by heart"
        known = sorted(_secret_lines())[:40]
        answers["update_rules"] = f"KNOWN_LINES = {chr(10).join(known)!r}\n" + answers["update_rules"]
    notebook = courses.handin(course, answers, base=getattr(attack, "BASE", "release"))  # wrong_*.py
    notebook = attack.TRANSFORM(notebook) if hasattr(attack, "TRANSFORM") else notebook
    if hasattr(attack, "EXTRA_FILES"):  # files handed in next to the notebook
        return {"nmf.ipynb": nbformat.writes(notebook), **attack.EXTRA_FILES}
    return notebook


@pytest.fixture(scope="module")
def attacked(courses):
    course = courses("attacks")
    handins = {
        name.replace("_", "-"): _attack_notebook(courses, course, name, a) for name, a in ATTACKS.items()
    }
    twin = ATTACKS["leak_hidden_inputs"]  # the same attack, one character apart: other inputs
    handins["leak-twin"] = _attack_notebook(courses, course, "leak_hidden_inputs", twin)
    handins["leak-twin"].cells[0].source += " "
    handins["neighbour"] = courses.handin(course)
    handins["trivial"] = courses.handin(course, base="release")
    from conftest import write_submission

    for student, notebook in handins.items():
        write_submission(course, student, notebook)
    results = {r.student: r for r in autograde_class(course, "ex08", workers=2, cell_timeout=60)}
    nbgrader(course, "generate_feedback", "ex08")
    return course, results


def test_no_attack_gets_more_than_a_trivial_handin(attacked):
    course, results = attacked
    table = grade_table(course).set_index("student")
    assert table.loc["trivial", "tests"] == 0
    for name, attack in ATTACKS.items():
        student = name.replace("_", "-")
        assert results[student].status in ("graded", "failed"), (student, results[student])
        # wrong_*.py: wrong implementations built on the reference, which lose exactly their tests
        expected = _without(*attack.LOSES) if hasattr(attack, "LOSES") else 0
        assert table.loc[student, "tests"] == expected, (student, table.loc[student, "tests"])
    assert table.loc["neighbour", "tests"] == 12  # graded in the same batch, untouched


def test_no_feedback_quotes_the_hidden_checks_or_the_reference(attacked):
    course, results = attacked
    secret = _secret_lines()
    pages = sorted((course / "feedback").glob("*/ex08/nmf.html"))
    graded = {s for s in results if (course / "autograded" / s / "ex08/nmf.ipynb").exists()}
    assert {page.parts[-3] for page in pages} == graded  # every graded hand-in gets its page
    for page in pages:
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
        assert "BEGIN HIDDEN TESTS" not in text, page
        # What the hand-in's own notebook shows (the release's code, the student's) is no secret.
        handed_in = nbformat.read(course / "submitted" / page.parts[-3] / "ex08/nmf.ipynb", as_version=4)
        shown = {" ".join(line.split()) for cell in handed_in.cells for line in cell.source.splitlines()}
        quoted = [
            line for line in {" ".join(line.split()) for line in text.splitlines()} if line in secret - shown
        ]
        assert not quoted, (page, quoted[:3])


def _printed(course, student):
    """What a graded hand-in printed or displayed (not the tracebacks that quote its own code)."""
    path = course / "autograded" / student / "ex08/nmf.ipynb"
    if not path.exists():  # not graded at all (a kernel it killed): nothing it printed is kept
        return ""
    notebook = nbformat.read(path, as_version=4)
    return "".join(
        o.get("text", "") if o.get("output_type") == "stream" else str(o.get("data", {}))
        for c in notebook.cells
        for o in c.get("outputs", [])
        if o.get("output_type") in ("stream", "display_data", "execute_result")
    )


def test_no_attack_reaches_what_it_looks_for(attacked):
    course, _ = attacked
    for name, attack in ATTACKS.items():
        printed = _printed(course, name.replace("_", "-"))
        for marker in getattr(attack, "REPORTS", []):
            assert marker not in printed, (name, marker)


def test_hidden_inputs_of_an_implementation_never_reach_the_notebook(attacked):
    """Its checks call the functions in the check kernel: the notebook's kernel, where later cells
    run, sees the visible tests' calls only (at most five), for the attack and its twin alike."""
    course, _ = attacked
    for student in ("leak-hidden-inputs", "leak-twin"):
        printed = _printed(course, student)
        seen = re.search(r"CALLS-SEEN: (\d+)", printed)
        assert seen, (student, printed[:300])  # the attack's cell ran: it is not blind for nothing
        assert int(seen.group(1)) <= 5, (student, seen.group(1))
        assert ATTACKS["leak_hidden_inputs"].OBSERVES not in printed, student


def test_metadata_edits_do_not_turn_answers_into_tests(attacked):
    from nbgrader.api import Gradebook

    course, _ = attacked
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook("nmf", "ex08", "flip-cell-roles")
        digits = next(g for g in notebook.grades if g.name == "digits_basis")
        assert digits.auto_score is None  # still graded by hand,
        assert digits.needs_manual_grade
        assert digits.max_score < 20  # for the points the source gives


# ----------------------------------------------------------------------------- bad hand-ins
def _is_test(cell):
    meta = cell.metadata.get("nbgrader", {})
    return meta.get("grade") and not meta.get("solution")


def _bad_handins(courses, course):
    corpus = variants()

    def handin(changes=None):
        return courses.handin(course, changes)

    reference = handin()
    cases = {}  # student -> (notebook, file name or relative path, expected status, expected test points)
    cases["control"] = (reference, "nmf.ipynb", "graded", _without())
    cases["untouched"] = (courses.handin(course, base="release"), "nmf.ipynb", "graded", 0)
    loops = "def non_negative(data, num_components, **kwargs):\n    while True:\n        pass"
    cases["loops-forever"] = (
        handin({"non_negative": loops}),
        "nmf.ipynb",
        "graded",
        _without(*NON_NEGATIVE_TESTS),
    )
    cases["kills-kernel"] = (handin({"rating_matrix": "import os\nos._exit(1)"}), "nmf.ipynb", "failed", 0)
    exits = handin({"rating_matrix": "import sys\nsys.exit('bye')"})
    cases["sys-exit"] = (exits, "nmf.ipynb", "graded", _without("test_rating_matrix"))
    first_fails = handin({"update_rules": "raise RuntimeError('the first answer cell fails')"})
    lost = ("test_update_steps", "test_loss_never_increases", *NON_NEGATIVE_TESTS)
    cases["error-first-cell"] = (first_fails, "nmf.ipynb", "graded", _without(*lost))
    printer = handin({"prototypes_code": "for _ in range(200):\n    print('x' * 1_000_000)"})
    cases["huge-output"] = (printer, "nmf.ipynb", "graded", _without())
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
        "    nan = np.nan\n"
        "    return np.full((X.shape[0], num_components), nan), np.full((num_components, X.shape[1]), nan)"
    )
    cases["nan-results"] = (
        handin({"non_negative": nan}),
        "nmf.ipynb",
        "graded",
        _without(*NON_NEGATIVE_TESTS),
    )
    sklearn = corpus["bug_calls_sklearn"]
    cases["calls-sklearn"] = (handin(sklearn.ANSWERS), "nmf.ipynb", "graded", _without(*sklearn.LOSES))
    warns = corpus["correct_warns"]
    cases["warns-on-stderr"] = (handin(warns.ANSWERS), "nmf.ipynb", "graded", _without())
    cheat = corpus["cheat_rebinds_numpy"]
    # Its np.all also breaks pandas in its own notebook (its rating matrix fails). Its MovieLens fit
    # swells after the interrupt at the cell timeout (to 5 GB unbounded, depending on where the
    # interrupt lands): it is graded, or stopped at the memory limit and said so (status None).
    cases["rebinds-numpy"] = (
        handin(cheat.ANSWERS),
        "nmf.ipynb",
        None,
        _without(*cheat.LOSES, "test_rating_matrix"),
    )
    cases["renamed-deep"] = (reference, "work/My NMF (final).ipynb", "graded", _without())
    return cases


@pytest.fixture(scope="module")
def bad(courses):
    from conftest import write_submission

    course = courses("bad")
    cases = _bad_handins(courses, course)
    for student, (notebook, relative, _, _) in cases.items():
        write_submission(course, student, notebook, relative)
    results = autograde_class(course, "ex08", workers=2, cell_timeout=15)
    return course, cases, {r.student: r for r in results}


def test_every_bad_handin_has_a_row_a_status_and_its_expected_points(bad):
    course, cases, results = bad
    table = grade_table(course).set_index("student")
    assert sorted(table.index) == sorted(cases)  # a gradebook row for every hand-in
    for student, (_, _, status, points) in cases.items():
        if status is None:  # graded, or stopped at the memory limit with nothing
            stopped = results[student].status == "failed"
            status, points = ("failed", 0) if stopped else ("graded", points)
            assert not stopped or "ran out of memory" in results[student].reason, results[student]
        assert results[student].status == status, (student, results[student])
        assert table.loc[student, "tests"] == points, (student, table.loc[student, "tests"], points)


def test_failures_are_explained_and_flagged(bad):
    from nbgrader.api import Gradebook

    course, _, results = bad
    assert "kernel died" in results["kills-kernel"].reason
    assert "not valid notebook JSON" in results["invalid-json"].reason
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student, words in (("kills-kernel", "kernel died"), ("invalid-json", "not valid notebook JSON")):
            notebook = gradebook.find_submission_notebook("nmf", "ex08", student)
            assert notebook.flagged
            assert not notebook.needs_manual_grade
            assert any(words in (c.auto_comment or "") for c in notebook.comments)
        assert not gradebook.find_submission_notebook("nmf", "ex08", "control").flagged
    report = (course / "autograde-report.csv").read_text()
    assert "kills-kernel,failed" in report
    assert "control,graded" in report


def test_timeouts_huge_output_and_moved_notebooks(bad):
    course, _, results = bad
    looped = nbformat.read(course / "autograded/loops-forever/ex08/nmf.ipynb", as_version=4)
    errors = [
        o.get("ename") for c in looped.cells for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert "CellTimeoutError" in errors
    assert (course / "autograded/huge-output/ex08/nmf.ipynb").stat().st_size < 5_000_000
    assert "copied to nmf.ipynb" in results["renamed-deep"].reason
    assert (course / "submitted/renamed-deep/ex08/work/My NMF (final).ipynb").is_file()  # the original stays


def test_a_warning_on_stderr_costs_nothing(bad):
    course, _, _ = bad
    notebook = nbformat.read(course / "autograded/warns-on-stderr/ex08/nmf.ipynb", as_version=4)
    cell = next(
        c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_update_steps"
    )
    assert any(o.get("name") == "stderr" for o in cell.outputs)  # the warning is there, and
    assert grade_table(course).set_index("student").loc["warns-on-stderr", "tests"] == 12  # cost nothing


def test_plain_nbgrader_autograde_refuses_and_says_why(courses):
    from conftest import write_submission

    course = courses("plain")
    write_submission(course, "someone", courses.handin(course))
    result = nbgrader(course, "autograde", "ex08", check=False)
    output = result.stdout + result.stderr
    assert "nmf-kit autograde" in output
    assert "decided by the grader outside the student's kernel" in output
    table = grade_table(course)
    assert table.empty or (table["tests"] == 0).all()  # nothing was graded wrongly
