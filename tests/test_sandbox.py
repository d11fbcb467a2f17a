"""The grading sandbox as a boundary, graded as root and as an unprivileged user.

An attacker hand-in (otherwise correct) tries every escape from its kernel; each attempt must
fail, the attacker and its neighbour keep their grades, no file outside the attacker's scratch
folder changes, and no process it started survives the batch. Resource hogs are bounded.
"""

import hashlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, write_submission

from nmf_kit.gradebook import grade_table
from nmf_kit.grading import sandbox
from nmf_kit.grading.batch import autograde_class

pytestmark = pytest.mark.slow
UNPRIVILEGED = "nmfkit-test"
MARKER = f"nmf-survivor-{uuid.uuid4().hex[:8]}"

ESCAPES = textwrap.dedent(
    """
    import glob, os, pathlib, signal, socket, subprocess, sys, time
    COURSE = pathlib.Path(%(course)r)
    def attempt(name, action):
        try:
            result = action()
            print(f"{name}: LEAKED {str(result)[:80]}")
        except BaseException as exc:
            print(f"{name}: BLOCKED ({type(exc).__name__})")
    def proc_roots():
        for root in glob.glob("/proc/*/root") + glob.glob("/proc/*/cwd"):
            for target in ("gradebook.db", "source/ex08/nmf.ipynb", "submitted/victim/ex08/nmf.ipynb"):
                path = pathlib.Path(root) / str(COURSE).lstrip("/") / target
                if path.exists():
                    return path.read_bytes()[:20]
        raise PermissionError("nothing reachable")
    def others():
        mine = {os.getpid(), 1}
        found = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in mine]
        parent = os.getppid()
        alive = [p for p in found if p != parent]
        if len(found) > 3:
            return found
        raise PermissionError(f"only {len(found)} other processes visible")
    def site_packages():
        for folder in {p for p in sys.path if p.endswith("site-packages")}:
            (pathlib.Path(folder) / "zz_pwned.pth").write_text("import os\\n")
            return folder
        raise PermissionError("no site-packages")
    def fill(folder, limit):
        with open(pathlib.Path(folder) / "big.bin", "wb") as handle:
            for _ in range(limit):
                handle.write(b"x" * 2**20)
        return limit
    def fork_bomb():
        started = []
        try:
            for _ in range(1000):
                started.append(subprocess.Popen(["sleep", "30"]))
        finally:
            for p in started:
                p.kill()
        return len(started)
    attempt("read-gradebook", lambda: (COURSE / "gradebook.db").read_bytes()[:20])
    attempt("read-source", lambda: (COURSE / "source" / "ex08" / "nmf.ipynb").read_bytes()[:20])
    neighbour = COURSE / "submitted" / "victim" / "ex08" / "nmf.ipynb"
    attempt("read-neighbour", lambda: neighbour.read_bytes()[:20])
    attempt("read-kit", lambda: pathlib.Path(%(kit)r, "nmf_helpers", "grading", "ex08.py").read_text()[:20])
    attempt("proc-root", proc_roots)
    attempt("see-processes", others)
    attempt("write-site-packages", site_packages)
    attempt("write-data", lambda: (pathlib.Path(os.environ["NMF_HELPERS_DATA"]) / "pwned").write_text("x"))
    attempt("write-home", lambda: pathlib.Path(%(home)r, "pwned.txt").write_text("x"))
    attempt("network", lambda: socket.create_connection(("127.0.0.1", %(port)d), timeout=3))
    attempt("root", lambda: os.getuid() if os.getuid() == 0 else 1 / 0)
    effective = lambda: [l for l in open("/proc/self/status")
                         if l.startswith("CapEff") and l.split()[1].strip("0")]
    attempt("capabilities", lambda: effective() or 1 / 0)
    attempt("memory", lambda: len(bytearray(50 * 2**30)))
    attempt("fill-scratch", lambda: fill(".", 2048))
    attempt("fill-tmp", lambda: fill("/tmp", 2048))
    attempt("fork-bomb", fork_bomb)
    os.remove("big.bin") if os.path.exists("big.bin") else None
    os.remove("/tmp/big.bin") if os.path.exists("/tmp/big.bin") else None
    subprocess.Popen([sys.executable, "-c", "import os, time; os.fork() or time.sleep(600)", %(marker)r],
                     start_new_session=True)  # a daemon and its child, outliving the kernel
    # holds the kernel's output:
    subprocess.Popen(["sleep", "300"], stdout=sys.__stdout__, stderr=sys.__stderr__)
    os.symlink(str(COURSE / "gradebook.db"), "nmf.ipynb.link")
    pathlib.Path("mine.txt").write_text("a hand-in may write in its own folder")
    print("own-folder: written")
    """
).strip()


def _digests(*folders):
    """sha256 of every file under ``folders`` (what grading must not change)."""
    found = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and not path.is_symlink():
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _course_files(course):
    skip = ("autograded", "feedback", ".nmf-kit")
    return {k: v for k, v in _digests(course).items()
            if Path(k).relative_to(course).parts[0] not in skip
            and Path(k).name not in ("gradebook.db", "autograde-report.csv")}  # fmt: skip


def _survivors():
    return subprocess.run(["pgrep", "-f", MARKER], capture_output=True, text=True).stdout.split()


def _attempts(course, student):
    notebook = nbformat.read(course / "autograded" / student / "ex08" / "nmf.ipynb", as_version=4)
    cell = next(
        c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "prototypes_code"
    )
    # stdout only: a warning on stderr (a child still running, say) is not an attempt
    printed = "".join(
        o.get("text", "")
        for o in cell.outputs
        if o.get("output_type") == "stream" and o.get("name") == "stdout"
    )
    return dict(
        line.split(": ", 1)
        for line in printed.strip().splitlines()
        if re.match(r"[a-z-]+: (BLOCKED|LEAKED|written)", line)
    )


def _escape_handins(courses, course, port):
    code = ESCAPES % {"course": str(course), "kit": str(ROOT), "home": os.path.expanduser("~"), "port": port,
                      "marker": MARKER}  # fmt: skip
    return {"victim": courses.handin(course), "attacker": courses.handin(course, {"prototypes_code": code})}


def _check_contained(course, results, before, kit_before):
    attempts = _attempts(course, "attacker")
    names = set(re.findall(r'^\s*attempt\("([a-z-]+)"', ESCAPES, flags=re.MULTILINE)) | {"own-folder"}
    assert set(attempts) == names, attempts
    for name, outcome in attempts.items():
        if name == "own-folder":
            assert outcome == "written"
        else:
            assert outcome.startswith("BLOCKED"), (name, outcome)
    assert "MemoryError" in attempts["memory"]
    assert results["attacker"].status == results["victim"].status == "graded"
    table = grade_table(course).set_index("student")
    assert table.loc["attacker", "tests"] == table.loc["victim", "tests"] == 12
    assert _course_files(course) == before
    assert _digests(*_environment_trees()) == kit_before
    assert not (course / "autograded/attacker/ex08/mine.txt").exists()  # its scratch stayed in the sandbox
    assert not _survivors()


def _environment_trees():
    """Where a .pth or a planted module would persist: the environment's site-packages."""
    return [p for p in {Path(sys.prefix) / "lib", Path(sys.base_prefix) / "lib"} if p.is_dir()][:1]


@pytest.fixture(scope="module")
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture(scope="module")
def environment_before():
    return _digests(*_environment_trees())


@pytest.fixture(scope="module")
def as_root(courses, listener, environment_before):
    if os.geteuid() != 0:
        pytest.skip("grading as root needs root")
    course = courses("boundary-root")
    for student, notebook in _escape_handins(courses, course, listener).items():
        write_submission(course, student, notebook)
    before = _course_files(course)
    started = time.perf_counter()
    results = {r.student: r for r in autograde_class(course, "ex08", workers=2)}
    return course, results, before, time.perf_counter() - started


def test_escapes_fail_as_root(as_root, environment_before):
    course, results, before, _ = as_root
    _check_contained(course, results, before, environment_before)


def test_a_process_holding_the_kernels_output_does_not_hold_the_grader(as_root):
    _, results, _, _ = as_root
    assert results["attacker"].seconds < 240  # its child sleeps 300 s on the kernel's stdout


# ----------------------------------------------------------------------------- unprivileged
def _unprivileged_user():
    """An unprivileged user that can run this environment's Python, or a reason to skip."""
    if os.geteuid() != 0 or not shutil.which("runuser"):
        return None, "creating an unprivileged user needs root and runuser"
    try:
        pwd.getpwnam(UNPRIVILEGED)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", UNPRIVILEGED],
            check=True,
            capture_output=True,
        )
    probe = subprocess.run(
        ["runuser", "-u", UNPRIVILEGED, "--", sys.executable, "-c", "import nmf_kit, nbgrader"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return None, (
            f"{UNPRIVILEGED} cannot run {sys.executable} ({probe.stderr.strip()[-200:]}): "
            "make the environment readable by others (.ci/run does: chmod o+x on the folders above it)"
        )
    return UNPRIVILEGED, ""


@pytest.fixture(scope="module")
def as_user(courses, listener):
    user, reason = _unprivileged_user()
    if user is None:
        pytest.skip(reason)
    built = courses("boundary-user")
    # A folder the user owns, outside pytest's (which only root may enter).
    course = Path(tempfile.mkdtemp(prefix="nmf-kit-user-course-")) / "course"
    shutil.copytree(built, course)
    for student, notebook in _escape_handins(courses, course, listener).items():
        write_submission(course, student, notebook)
    entry = pwd.getpwnam(user)
    for path in [course.parent, course, *course.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)
    tmp = Path(tempfile.mkdtemp(prefix="nmf-kit-user-tmp-"))
    os.chown(tmp, entry.pw_uid, entry.pw_gid)
    before = _course_files(course)
    script = (
        "import logging, sys; logging.basicConfig(level=logging.INFO, stream=sys.stdout)\n"
        "from nmf_kit.grading.batch import autograde_class\n"
        f"autograde_class({str(course)!r}, 'ex08', workers=2)\n"
    )
    env = {**os.environ, "HOME": str(tmp), "TMPDIR": str(tmp)}
    run = subprocess.run(
        ["runuser", "-u", user, "--", sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = (course / "autograde-report.csv").read_text().splitlines()[1:]
    rows = [line.split(",") for line in report]
    results = {row[0]: type("R", (), {"status": row[1], "seconds": float(row[2])}) for row in rows}
    return course, results, before, tmp, run.stdout


def test_escapes_fail_as_an_unprivileged_user(as_user, environment_before):
    course, results, before, tmp, output = as_user
    assert "sandbox self-test passed" in output
    _check_contained(course, results, before, environment_before)
    assert not list(Path(tmp).glob("nmf-kit-*"))  # nothing stale in its temporary folder


# ----------------------------------------------------------------------------- resources and links
def test_memory_time_and_links_are_bounded_and_a_neighbour_is_unaffected(courses):
    # The wall-time cap must let a normal notebook reach its last cell (the kernel hog's) and stop
    # the one that sleeps 5 x 14 s on top of that.
    config = "c.Sandbox.memory = 1536 * 2**20\nc.Grader.handin_timeout = 75"
    course = courses("bounds", config=config)
    hog = textwrap.dedent(
        """
        import subprocess, sys
        code = "import numpy as np; a = np.ones(2**30 // 8 * 3 // 2); print('allocated', a.sum() > 0)"
        children = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(3)]
        print("exit codes", [c.wait() for c in children])
        """
    )
    kernel_hog = "import numpy as np\nprint(np.ones(2**28).sum())"  # 2 GiB in the kernel itself
    slow = "import time\ntime.sleep(14)"
    handins = {
        "neighbour": courses.handin(course),
        "memory-hog": courses.handin(course, {"prototypes_code": hog}),
        "kernel-hog": courses.handin(course, {"prototypes_code": kernel_hog}),
        "slow-cells": courses.handin(course, dict.fromkeys(
            ("rating_matrix", "fit_movielens", "my_ratings", "genre_histograms", "prototypes_code"), slow)),
    }  # fmt: skip
    for student, notebook in handins.items():
        write_submission(course, student, notebook)
    linked = write_submission(course, "linker", courses.handin(course))
    secret = course / "secret.txt"
    secret.write_text("not for students")
    (linked / "extra.txt").symlink_to(secret)
    results = {r.student: r for r in autograde_class(course, "ex08", workers=2, cell_timeout=20)}
    table = grade_table(course).set_index("student")
    assert results["neighbour"].status == "graded"
    assert table.loc["neighbour", "tests"] == 12
    assert results["slow-cells"].status == "failed"
    assert "longer than 75 s" in results["slow-cells"].reason
    assert results["linker"].status == "failed"
    assert "symbolic link" in results["linker"].reason
    assert not (course / "autograded/linker").exists()
    hog_printed = _attempts_text(course, "memory-hog")
    if os.geteuid() == 0:  # a cgroup bounds the hand-in's memory as a whole
        assert hog_printed.count("allocated True") <= 1, hog_printed
        # the kernel itself over the limit (2 GiB of 1.5): killed, and said so
        assert results["kernel-hog"].status == "failed"
        assert "ran out of memory" in results["kernel-hog"].reason
    assert secret.read_text() == "not for students"


def _attempts_text(course, student):
    path = course / "autograded" / student / "ex08" / "nmf.ipynb"
    if not path.exists():
        return ""
    notebook = nbformat.read(path, as_version=4)
    return "".join(
        o.get("text", "")
        for c in notebook.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream"
    )


def test_a_successful_regrade_clears_an_old_failure_flag(courses):
    from nbgrader.api import Gradebook

    course = courses("regrade")
    write_submission(course, "alice", courses.handin(course, {"rating_matrix": "import os\nos._exit(3)"}))
    first = autograde_class(course, "ex08", workers=1)
    assert first[0].status == "failed"
    write_submission(course, "alice", courses.handin(course))
    second = autograde_class(course, "ex08", workers=1, force=True)
    assert second[0].status == "graded"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assert not gradebook.find_submission_notebook("nmf", "ex08", "alice").flagged


def test_a_gradebook_error_for_one_student_does_not_stop_the_batch(courses):
    import sqlite3

    course = courses("gradebook-error", {"broken": '{"cells": ['})
    write_submission(course, "fine", courses.handin(course))
    with sqlite3.connect(course / "gradebook.db") as db:  # a real database error for one student only
        db.execute(
            "CREATE TRIGGER refuse BEFORE UPDATE ON grade WHEN NEW.notebook_id IN"
            " (SELECT n.id FROM submitted_notebook n JOIN submitted_assignment a ON n.assignment_id = a.id"
            " WHERE a.student_id = 'broken')"
            " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )
    results = {r.student: r for r in autograde_class(course, "ex08", workers=1)}
    assert results["fine"].status == "graded"
    assert results["broken"].status == "error"
    assert "refused by the test" in results["broken"].reason
    assert "broken,error" in (course / "autograde-report.csv").read_text()


def test_grading_refuses_to_start_without_bwrap_and_says_how_to_fix_it(courses, monkeypatch):
    course = courses("no-bwrap")
    write_submission(course, "someone", courses.handin(course, base="release"))
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable))  # a machine without bubblewrap
    with pytest.raises(
        sandbox.SandboxUnavailable, match=r"apt-get install bubblewrap.*c\.Sandbox\.tool = 'none'"
    ):
        autograde_class(course, "ex08")
    assert not (course / "autograded").exists()  # nothing recorded as the student's fault


def test_a_sandbox_that_cannot_start_a_kernel_is_reported_before_grading(courses):
    course = courses("broken-sandbox", config="c.Sandbox.user = 'root'")
    write_submission(course, "someone", courses.handin(course))
    with pytest.raises(sandbox.SandboxUnavailable, match="must not be root"):
        autograde_class(course, "ex08")
    assert grade_table(course).empty


def test_opting_out_warns_on_every_run(courses, caplog):
    course = courses("no-sandbox", config='c.Sandbox.tool = "none"')
    write_submission(course, "untouched", courses.handin(course, base="release"))
    for _ in range(2):
        caplog.clear()
        autograde_class(course, "ex08", force=True)
        assert "WARNING: grading WITHOUT a sandbox" in caplog.text
