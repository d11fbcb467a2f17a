"""The class report (`nmf-kit report`) and `nmf-kit feedback` on a course graded once, for real.

Six hand-ins, as an LMS gives them: the demo's three (alice: the reference solution, bob:
the untouched release, carol: recommends movies already rated), dave and erin who filled in
only the update functions, erin's a disguised copy of dave's (tests/handins/copy_einsum_renamed),
and frank's, which is not a notebook. What the page and its CSV files say is checked against
the gradebook; the page is loaded in headless Chromium with the network off.
"""

import csv
import os
import re
import subprocess
import sys

import pytest
from conftest import write_submission
from corpus import variants
from test_browser import CHROMEDRIVER, CHROMIUM, _open, _requests, browser  # noqa: F401 - a fixture

from nmf_kit.collect import collect
from nmf_kit.demo import demo_handins, write_handin_zip
from nmf_kit.gradebook import grade_table, record_student
from nmf_kit.handins import fill_answers
from nmf_kit.runner import autograde

NAME = "<script>alert('x')</script>"


# ----------------------------------------------------------------------------- no grading needed
def test_report_outside_a_course_is_refused(tmp_path, capsys):
    from nmf_kit.cli import main

    assert main(["report", "--course", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nmf-kit report: ")
    assert "not a course folder" in err


def test_report_of_a_course_nobody_handed_in_yet(released_course, tmp_path):
    from nmf_kit.report import write_report

    page = write_report(released_course, "ex08", output=tmp_path)
    text = page.read_text(encoding="utf-8")
    assert "0 hand-ins in the gradebook" in text
    assert "No pair of hand-ins reaches the threshold" in text
    assert "No grading times recorded" in text
    assert (tmp_path / "ex08-students.csv").read_text().splitlines()[1:] == []


# ----------------------------------------------------------------------------- a course graded once
@pytest.fixture(scope="module")
def graded(courses):
    course = courses("report")
    handins = demo_handins(course)
    release = course / "release/ex08/nmf.ipynb"
    corpus = variants()
    handins["dave"] = fill_answers(release, corpus["correct_einsum"].ANSWERS)
    handins["erin"] = fill_answers(release, corpus["copy_einsum_renamed"].ANSWERS)
    for student, notebook in handins.items():
        write_handin_zip(notebook, course / "downloads" / f"{student}_ex08.zip")
    collect(course / "downloads", course, log=lambda line: None)
    write_submission(course, "frank", "this is not a notebook")
    results = autograde(course, "ex08", workers=2)
    assert {r.student: r.status for r in results} == {**dict.fromkeys(handins, "graded"), "frank": "failed"}
    record_student(course, "dave", first_name=NAME, last_name="O'Hara & <b>Sons</b>")
    return course


def _cli(course, *args):
    return subprocess.run(
        [sys.executable, "-m", "nmf_kit.cli", *args, "--course", str(course)],
        capture_output=True, text=True, env=os.environ.copy(),
    )  # fmt: skip


@pytest.fixture(scope="module")
def report(graded):
    run = _cli(graded, "report")
    assert run.returncode == 0, run.stdout + run.stderr
    page = graded / "reports" / "ex08-report.html"
    assert page.as_uri() in run.stdout

    def rows(name):
        with open(graded / "reports" / f"ex08-{name}.csv", newline="") as handle:
            return list(csv.DictReader(handle))

    return page, page.read_text(encoding="utf-8"), rows


@pytest.mark.slow
def test_scores_match_the_gradebook(graded, report):
    _, text, rows = report
    table = grade_table(graded).set_index("student")
    students = {r["student"]: r for r in rows("students")}
    assert sorted(students) == sorted(table.index) == ["alice", "bob", "carol", "dave", "erin", "frank"]
    for student, row in students.items():
        assert float(row["tests"]) == table.loc[student, "tests"], student
        assert (row["manual grading left"] == "True") == bool(table.loc[student, "manual grading left"])
    assert float(students["alice"]["tests"]) == 12
    assert "6 hand-ins in the gradebook: 5 graded automatically, 1 failed to grade" in text
    # the 12 automatic points against nbgrader's code score of 14, said where a TA reads scores
    assert "<b>12</b> automatic (the tests), <b>2</b> for hand-graded code cells" in text
    assert "so it reads out of 14" in text


@pytest.mark.slow
def test_the_buggy_students_failure_leads_with_its_message(report):
    _, text, rows = report
    tests = [r for r in rows("tests") if not r["hidden check"]]
    # lost by bob, carol, dave and erin: the most costly test comes first
    assert (tests[0]["test"], tests[0]["failed"], tests[0]["ran"]) == ("test_recommend_unseen", "4", "5")
    carol = [r for r in rows("failures") if r["test"] == "test_recommend_unseen"]
    assert any("already rated" in r["message"] for r in carol)
    assert "includes movies that user already rated" in text
    students = {r["student"]: r for r in rows("students")}
    assert students["carol"]["tests lost"] == "test_recommend_unseen"


@pytest.mark.slow
def test_the_hand_in_not_graded_is_listed_with_its_cause(report):
    _, text, rows = report
    frank = {r["student"]: r for r in rows("students")}["frank"]
    assert frank["status"] == "failed"
    assert frank["flagged"] == "True"
    assert "notebook" in frank["reasons"].lower()
    assert re.search(r"<td>frank</td><td>failed, flagged</td><td>[^<]*notebook", text, re.I)


@pytest.mark.slow
def test_every_graded_hand_in_has_its_time(report):
    _, text, rows = report
    for row in rows("students"):
        assert float(row["seconds"]) >= 0, row["student"]
    slowest = max(rows("students"), key=lambda r: float(r["seconds"]))
    listed = re.search(
        r"<h3>Slowest</h3>\s*<table.*?<tbody><tr><td>(\w+).*?</td><td>([\d.]+)</td>", text, re.S
    )
    assert listed.groups() == (slowest["student"], f"{float(slowest['seconds']):.1f}")


@pytest.mark.slow
def test_the_copy_and_only_the_expected_pairs_are_found(report):
    _, text, rows = report
    pairs = {tuple(sorted((r["a"], r["b"]))) for r in rows("similar")}
    # carol is alice with one cell changed; erin is dave's code renamed and moved around
    assert pairs == {("alice", "carol"), ("dave", "erin")}
    assert "Similarity is a reason to look, not proof" in text
    assert text.count("<mark>") > 5


@pytest.mark.slow
def test_names_and_code_are_data_not_markup(report):
    _, text, _ = report
    assert NAME not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert "<b>Sons</b>" not in text
    assert "<script" not in text.lower()


@pytest.mark.slow
@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER) and not os.environ.get("CI"), reason="needs chromium")
def test_the_page_shows_its_figures_offline_in_chromium(browser, report):  # noqa: F811 - the fixture
    page, _, _ = report
    _open(browser, page.as_uri())
    figures = browser.execute_script(
        "return Array.from(document.querySelectorAll('img.figure'))"
        ".filter(i => i.complete && i.naturalWidth > 100 && i.getBoundingClientRect().width > 100).length"
    )
    assert figures == 4  # two score distributions, pass rates, times
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    outside = [u for u in _requests(browser) if not u.startswith(("data:", "about:", "file:"))]
    assert outside == []


@pytest.mark.slow
def test_feedback_waits_for_hand_grading_and_keeps_the_students_own_page(graded):
    refused = _cli(graded, "feedback")
    assert refused.returncode != 0
    assert "still wait for hand grading" in refused.stderr
    assert "--force" in refused.stderr
    assert not (graded / "feedback").exists()
    forced = _cli(graded, "feedback", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    folder = graded / "feedback" / "carol" / "ex08"
    assert "Grader: hidden checks" in (folder / "nmf.html").read_text(encoding="utf-8")
    handed_in = (graded / "submitted" / "carol" / "ex08" / "nmf.html").read_bytes()
    assert (folder / "nmf.handed-in.html").read_bytes() == handed_in


@pytest.mark.slow
def test_the_report_reads_a_postgresql_gradebook_alike(graded, tmp_path, report):
    """The same report from a PostgreSQL gradebook holding the same rows (copied table by table)."""
    pytest.importorskip("psycopg")
    from test_cluster import _postgres_bin

    if _postgres_bin() is None:
        pytest.skip("needs PostgreSQL's server: apt-get install postgresql (.ci/run does)")
    import test_cluster

    server = test_cluster.postgres.__wrapped__()
    make_database = next(server)
    try:
        url = make_database()
        _copy_gradebook(f"sqlite:///{graded / 'gradebook.db'}", url)
        config = graded / "nbgrader_config.py"
        original = config.read_text()
        try:
            config.write_text(original + f"\nc.CourseDirectory.db_url = {url!r}\n")
            from nmf_kit.report import write_report

            page = write_report(graded, "ex08", output=tmp_path)
        finally:
            config.write_text(original)
        assert (tmp_path / "ex08-students.csv").read_text() == (
            graded / "reports/ex08-students.csv"
        ).read_text()
        assert (tmp_path / "ex08-tests.csv").read_text() == (graded / "reports/ex08-tests.csv").read_text()
        assert "6 hand-ins in the gradebook" in page.read_text()
    finally:
        next(server, None)


def _copy_gradebook(source, target):
    """Every row of nbgrader's tables from one database into another (made by nbgrader)."""
    from nbgrader.api import Base, Gradebook
    from sqlalchemy import create_engine

    from nmf_kit.command import scripts_on_path

    with scripts_on_path(), Gradebook(target):
        pass  # nbgrader makes its tables (running alembic)
    read, write = create_engine(source), create_engine(target)
    with read.connect() as src, write.begin() as dst:
        for table in reversed(Base.metadata.sorted_tables):
            dst.execute(table.delete())  # what nbgrader made on opening it (its default course)
        for table in Base.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in src.execute(table.select())]
            if rows:
                dst.execute(table.insert(), rows)
