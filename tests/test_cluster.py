"""A class graded on Dask distributed with the gradebook in PostgreSQL, both real servers
started here: the same scores and comments as a local run on SQLite, nothing lost or doubled
when a worker dies mid-hand-in or two graders share the gradebook."""

import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from conftest import write_submission
from corpus import variants

from nmf_kit.gradebook import grade_table
from nmf_kit.grading.batch import autograde_class
from nmf_kit.grading.jobs import SECRET

pytestmark = pytest.mark.slow
distributed = pytest.importorskip("distributed", reason="needs Dask distributed: pip install -e '.[cluster]'")


# ----------------------------------------------------------------------------- servers
def _postgres_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="module")
def postgres():
    """A throw-away PostgreSQL server on a Unix socket; yields a function making databases."""
    import psycopg

    binaries = _postgres_bin()
    if binaries is None:
        pytest.skip("needs PostgreSQL's server: apt-get install postgresql (.ci/run does)")
    root = Path(tempfile.mkdtemp(prefix="nmf-kit-pg-", dir="/tmp"))
    data, socket_dir = root / "data", root / "socket"
    socket_dir.mkdir()
    prefix = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chmod(root, 0o755)
        for path in (root, socket_dir):
            os.chown(path, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    run = lambda *args: subprocess.run([*prefix, *map(str, args)], check=True, capture_output=True, text=True)  # noqa: E731
    run(binaries / "initdb", "-D", data, "--auth=trust", "-U", "postgres", "--no-sync")
    run(binaries / "pg_ctl", "-D", data, "-l", root / "server.log", "-w", "-o",
        f"-k {socket_dir} -c listen_addresses='' -c fsync=off", "start")  # fmt: skip

    def database():
        name = f"gradebook_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(
            host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@/{name}?host={socket_dir}"

    yield database
    run(binaries / "pg_ctl", "-D", data, "-m", "fast", "stop")
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def courses(synthetic_courses):
    """This module's classes are graded on the synthetic stand-in (see conftest.py)."""
    return synthetic_courses


@pytest.fixture(scope="module")
def cluster(courses):
    """A Dask LocalCluster with two worker processes (each with a nanny that restarts it), started
    once NMF_HELPERS_DATA names the synthetic stand-in (the workers read their own environment)."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


# ----------------------------------------------------------------------------- the same grades
# Eight hand-ins of every kind the grader meets: full marks with helper cells and scipy, a
# delegation stopped by the check kernel (plain and disguised), an unseeded one (its printed
# numbers vary run to run), a visible-test failure, and the trivial one.
CLASS = ("correct_helpers_added_cells", "correct_scipy_pandas", "bug_calls_sklearn",
         "bug_delegates_obfuscated", "bug_unseeded", "bug_rated_included")  # fmt: skip


def _class(courses, course):
    corpus = variants()
    handins = {"reference": courses.handin(course), "untouched": courses.handin(course, base="release")}
    handins.update({name.replace("_", "-"): courses.handin(course, corpus[name].ANSWERS) for name in CLASS})
    return handins


def _grades_and_comments(course):
    from nbgrader.api import Gradebook

    from nmf_kit.gradebook import db_url

    found = {}
    with Gradebook(db_url(course)) as gradebook:
        for submission in gradebook.assignment_submissions("ex08"):
            for notebook in submission.notebooks:
                found[submission.student_id] = (
                    sorted((g.name, g.auto_score) for g in notebook.grades),
                    sorted((c.name, c.auto_comment) for c in notebook.comments),
                    notebook.flagged,
                )
    return found


@pytest.fixture(scope="module")
def local_and_cluster(courses, postgres, cluster):
    local = courses("local-sqlite")
    handins = _class(courses, local)
    for student, notebook in handins.items():
        write_submission(local, student, notebook)
    autograde_class(local, "ex08", workers=2)
    remote = courses("cluster-postgres", config=f"c.CourseDirectory.db_url = {postgres()!r}")
    (remote / SECRET).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(local / SECRET, remote / SECRET)  # the same seeds, so the same hidden inputs
    for student, notebook in handins.items():
        write_submission(remote, student, notebook)
    results = autograde_class(remote, "ex08", scheduler=cluster.scheduler_address)
    return local, remote, results


def test_the_cluster_with_postgresql_grades_as_the_local_pool_with_sqlite(local_and_cluster):
    local, remote, results = local_and_cluster
    assert all(r.status == "graded" for r in results), [r for r in results if r.status != "graded"]
    assert {r.worker for r in results} != {"local"}  # really on the cluster's workers
    mine, theirs = _grades_and_comments(local), _grades_and_comments(remote)
    assert len(mine) == len(CLASS) + 2
    assert mine == theirs
    for student in mine:  # and the course folders end the same
        a = (local / "autograded" / student / "ex08" / "nmf.ipynb").read_text()
        b = (remote / "autograded" / student / "ex08" / "nmf.ipynb").read_text()
        if student in ("reference", "untouched"):  # deterministic hand-ins: the same but for timings
            assert _untimed(a) == _untimed(b), student
        else:  # some buggy ones are unseeded: their outputs vary run to run (their grades do not, above)
            assert _cells(a) == _cells(b), student


def _untimed(text):
    """A notebook without nbclient's execution timestamps (each run has its own)."""
    notebook = nbformat.reads(text, as_version=4)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    return nbformat.writes(notebook)


def _cells(text):
    """A notebook's cells: types and sources (what nbgrader put back and what ran)."""
    return [(c.cell_type, c.source) for c in nbformat.reads(text, as_version=4).cells]


def test_feedback_and_export_work_on_postgresql(local_and_cluster):
    from nmf_kit.runner import nbgrader

    _, remote, _ = local_and_cluster
    nbgrader(remote, "generate_feedback", "ex08")
    nbgrader(remote, "export")
    assert (remote / "feedback" / "reference" / "ex08" / "nmf.html").is_file()
    grades = (remote / "grades.csv").read_text()
    assert grades.count("\n") == len(CLASS) + 2 + 1  # the header and a row per student
    table = grade_table(remote).set_index("student")
    assert table.loc["reference", "tests"] == 12


# ----------------------------------------------------------------------------- faults
def _rows(course):
    """Submission rows per student in the gradebook."""
    from sqlalchemy import create_engine, text

    from nmf_kit.gradebook import db_url

    with create_engine(db_url(course)).connect() as db:
        rows = db.execute(text("SELECT student_id, count(*) FROM submitted_assignment GROUP BY student_id"))
        return dict(rows.fetchall())


def test_a_worker_killed_mid_handin_is_graded_again_and_recorded_once(courses, postgres, cluster):
    from distributed import Client

    course = courses("killed-worker", config=f"c.CourseDirectory.db_url = {postgres()!r}")
    slow = "import time\ntime.sleep(8)"
    students = [f"s{k}" for k in range(4)]
    for student in students:
        write_submission(course, student, courses.handin(course, {"prototypes_code": slow}))
    with Client(cluster.scheduler_address) as client:
        pids = client.run(os.getpid)

    def kill_one():
        time.sleep(12)  # while both workers are in a hand-in
        os.kill(next(iter(pids.values())), signal.SIGKILL)

    killer = threading.Thread(target=kill_one)
    killer.start()
    results = autograde_class(course, "ex08", scheduler=cluster.scheduler_address)
    killer.join()
    assert sorted(r.student for r in results) == students
    assert all(r.status == "graded" for r in results), results
    assert _rows(course) == dict.fromkeys(students, 1)
    assert (grade_table(course)["tests"] == 12).all()


def test_two_graders_share_a_postgresql_gradebook(courses, postgres):
    course = courses("two-graders", config=f"c.CourseDirectory.db_url = {postgres()!r}")
    students = [f"t{k}" for k in range(4)]
    for student in students:
        write_submission(course, student, courses.handin(course))
    command = [sys.executable, "-m", "nmf_kit.cli", "autograde", "--course", str(course), "--workers", "1"]
    runs = [subprocess.Popen([*command, *half], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for half in (students[:2], students[2:])]  # fmt: skip
    outputs = [run.communicate(timeout=1200)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    assert _rows(course) == dict.fromkeys(students, 1)
    table = grade_table(course).set_index("student")
    assert sorted(table.index) == students
    assert (table["tests"] == 12).all()


def test_a_wrong_gradebook_url_or_a_missing_scheduler_is_said_clearly(courses, tmp_path):
    from nmf_kit.errors import KitError

    course = courses("wrong-servers")
    write_submission(course, "someone", courses.handin(course, base="release"))
    with pytest.raises(KitError, match=r"cannot reach a Dask scheduler at tcp://127\.0\.0\.1:9"):
        autograde_class(course, "ex08", scheduler="tcp://127.0.0.1:9")
    config = course / "nbgrader_config.py"
    config.write_text(
        config.read_text()
        + f"\nc.CourseDirectory.db_url = 'postgresql+psycopg://nobody@/none?host={tmp_path}'\n"
    )
    with pytest.raises(KitError, match="cannot open the gradebook"):
        autograde_class(course, "ex08")
