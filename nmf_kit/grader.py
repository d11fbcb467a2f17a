"""Autograding a whole class: in parallel, robust to bad hand-ins, nothing lost.

Each submission is graded by nbgrader itself (``nbgrader autograde ASSIGNMENT
--student ID``) in its own process, N at a time. What the kit adds around it:

- before grading, a notebook with another name or one folder too deep is
  *copied* (never moved) to ``submitted/<id>/<assignment>/nmf.ipynb``;
- a hand-in that nbgrader cannot grade (not a notebook, a kernel that dies,
  ...) still gets a gradebook row: zero automatic points, flagged, and the
  reason in its comments, so that a person sees it in the formgrader;
- the gradebook is SQLite; concurrent nbgrader processes wait for each other's
  short writes (a busy timeout of two minutes) instead of failing, and a
  submission whose run still failed on a lock is graded again;
- progress, per-submission time and status on the terminal, a summary, and
  ``autograde-report.csv``; the exit status says whether all were graded.
"""

import csv
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from .course import ASSIGNMENT, NOTEBOOK, nbgrader_environment

# Reasons nbgrader's log gives for a failure, in the words a grader wants.
_REASONS = (
    (
        r"NotJSONError|Notebook does not appear to be JSON|JSONDecodeError|Unreadable Notebook",
        "the notebook is not valid notebook JSON",
    ),
    (r"DeadKernelError|Kernel died", "the kernel died while running the notebook (e.g. os._exit or a crash)"),
    (r"CellTimeoutError|TimeoutError", "a cell ran out of time"),
    (r"database is locked", "the gradebook was locked by another grader"),
    (r"MemoryError|Cannot allocate memory", "the notebook ran out of memory"),
)


@dataclass
class Result:
    student: str
    status: str  # "graded", "skipped", "failed"
    seconds: float
    reason: str = ""


def submissions(course, assignment=ASSIGNMENT):
    """Student ids with a folder ``submitted/<id>/<assignment>``."""
    root = Path(course) / "submitted"
    return sorted(p.parent.name for p in root.glob(f"*/{assignment}") if p.is_dir())


def normalise_submission(course, student, assignment=ASSIGNMENT, notebook=NOTEBOOK):
    """Make sure ``submitted/<student>/<assignment>/<notebook>`` exists, copying a
    single misnamed or misplaced notebook there (the original stays).

    Returns ``(ok, note)``: whether the notebook is now in place, and what was done
    or why it could not be.
    """
    folder = Path(course) / "submitted" / student / assignment
    if (folder / notebook).is_file():
        return True, ""
    found = [p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    if len(found) == 1:
        shutil.copy2(found[0], folder / notebook)
        return True, f"graded {found[0].relative_to(folder)} (copied to {notebook})"
    if not found:
        return False, f"no notebook in the hand-in ({folder})"
    names = ", ".join(str(p.relative_to(folder)) for p in found[:4])
    return False, f"{len(found)} notebooks and none named {notebook} ({names})"


def _reason(output):
    for pattern, reason in _REASONS:
        if re.search(pattern, output):
            return reason
    lines = [line for line in output.strip().splitlines() if "ERROR" in line or "Error" in line]
    return (lines[-1] if lines else output.strip().splitlines()[-1] if output.strip() else "unknown")[-300:]


def sandbox_tool(course):
    """The sandbox chosen in the course's nbgrader_config.py: ``c.Sandbox.tool``
    ('bwrap', the default, or 'none')."""
    from traitlets.config.loader import PyFileConfigLoader

    path = Path(course) / "nbgrader_config.py"
    if not path.is_file():
        return "bwrap"
    config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    tool = config.Sandbox.get("tool", "bwrap") if "Sandbox" in config else "bwrap"
    if tool not in ("bwrap", "none"):
        raise ValueError(f"c.Sandbox.tool in {path} must be 'bwrap' or 'none', got {tool!r}.")
    return tool


def _sandbox_environment(course, env, memory):
    """Kernel spec, variables and nbgrader options that put every kernel in bwrap."""
    from .sandbox import ENV_COURSE, ENV_MEMORY, KERNEL_NAME, check_available, install_kernelspec

    check_available()
    kernels = install_kernelspec(Path(course) / ".nmf-kit")
    env = dict(env)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(kernels), env.get("JUPYTER_PATH")]))
    env[ENV_COURSE] = str(course)
    env[ENV_MEMORY] = str(int(memory))
    if not env.get("NMF_HELPERS_DATA"):  # the kernel cannot see the grader's cache folder
        from nmf_course.movielens import movielens_folder

        env["NMF_HELPERS_DATA"] = str(movielens_folder(download=False).parent)
    return env, [f"--Execute.kernel_name={KERNEL_NAME}", "--KernelManager.transport=ipc"]


def _grade_one(course, student, assignment, db_url, extra_args, env, force, sandboxed=False, timeout=None):
    import tempfile

    if sandboxed:
        # A folder of its own for the connection file and the kernel's sockets
        # (jupyter_client writes them to the temporary folder): no kernel can
        # reach another's.
        private = tempfile.mkdtemp(prefix="nmf-kit-kernel-")
        env = {**env, "JUPYTER_RUNTIME_DIR": private, "TMPDIR": private}
        extra_args = [
            *extra_args,
            f"--KernelManager.ip={private}/kernel-ipc",
        ]  # else relative to each side's folder
    command = [sys.executable, "-m", "nbgrader", "autograde", assignment, "--student", student,
               f"--CourseDirectory.db_url={db_url}", *extra_args]  # fmt: skip
    if force:
        command.append("--force")
    start = time.perf_counter()
    for attempt in range(3):
        try:
            run = subprocess.run(
                command, cwd=course, env=env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return Result(
                student, "failed", time.perf_counter() - start, f"grading took longer than {timeout} s in all"
            )
        output = run.stdout + run.stderr
        if "database is locked" not in output or attempt == 2:
            break
        time.sleep(1 + attempt)
        if "--force" not in command:
            command.append("--force")
    seconds = time.perf_counter() - start
    if "Skipping existing assignment" in output and run.returncode == 0:
        return Result(student, "skipped", seconds, "already autograded (use --force to grade again)")
    if run.returncode == 0 and "There was an error processing assignment" not in output:
        # Graded; a cell that ran out of time was interrupted and scored as failed.
        timed_out = "Interrupting kernel" in output or "CellTimeoutError" in output
        return Result(
            student, "graded", seconds, "a cell ran out of time and was interrupted" if timed_out else ""
        )
    return Result(student, "failed", seconds, _reason(output))


def record_failure(db_url, assignment, student, reason):
    """A gradebook row for a hand-in nbgrader could not grade: zero, flagged, with the reason."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gradebook:
        gradebook.update_or_create_student(student)
        submission = gradebook.update_or_create_submission(assignment, student)
        for notebook in submission.notebooks:
            notebook.flagged = True
            for grade in notebook.grades:
                grade.auto_score = 0.0
                grade.needs_manual_grade = False
            for comment in notebook.comments:
                comment.auto_comment = f"Not graded automatically: {reason}."
        gradebook.db.commit()


def _environment(workers):
    env = nbgrader_environment()
    if workers > 1:
        # One BLAS thread per kernel: N graders already use N cores.
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(name, "1")
    return env


def default_workers():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def autograde_class(course, assignment=ASSIGNMENT, students=None, workers=None, force=False,
                    cell_timeout=None, submission_timeout=1800, memory=None, log=print):  # fmt: skip
    """Autograde every submission (or ``students``) with ``workers`` processes.

    Each kernel runs in the sandbox chosen by ``c.Sandbox.tool`` in the course's
    nbgrader_config.py (bwrap by default; grading refuses to start without it,
    saying how to install it; 'none' grades unsandboxed, with a warning).
    ``memory`` caps each kernel's address space (bytes; default 8 GiB).

    Returns the list of :class:`Result`; also writes ``autograde-report.csv``.
    """
    course = Path(course).resolve()
    students = list(students) if students else submissions(course, assignment)
    if not students:
        raise FileNotFoundError(f"no submissions in {course / 'submitted'} for {assignment}")
    workers = max(1, int(workers or default_workers()))
    db_url = f"sqlite:///{course / 'gradebook.db'}?timeout=120"
    extra = [f"--Execute.timeout={int(cell_timeout)}"] if cell_timeout else []
    env = _environment(workers)
    sandboxed = sandbox_tool(course) == "bwrap"
    if sandboxed:
        from .sandbox import DEFAULT_MEMORY

        env, sandbox_args = _sandbox_environment(course, env, memory or DEFAULT_MEMORY)
        extra += sandbox_args
    else:
        log(
            "WARNING: grading WITHOUT a sandbox (c.Sandbox.tool = 'none'): student code runs with your rights."
        )
    notes = {student: normalise_submission(course, student, assignment) for student in students}
    log(
        f"autograding {len(students)} submission(s) of {assignment} with {workers} worker(s)"
        + (", each kernel in a bwrap sandbox" if sandboxed else "")
    )
    results, start = [], time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:  # each task waits on its own nbgrader process
        futures = {
            pool.submit(
                _grade_one,
                course,
                student,
                assignment,
                db_url,
                extra,
                env,
                force,
                sandboxed,
                submission_timeout,
            ): student
            for student in students
        }
        for done, future in enumerate(as_completed(futures), 1):
            result = future.result()
            in_place, note = notes[result.student]
            if note:
                result.reason = "; ".join(filter(None, [result.reason, note])) if in_place else note
            results.append(result)
            detail = f" ({result.reason})" if result.reason else ""
            log(
                f"[{done:{len(str(len(students)))}d}/{len(students)}] {result.student}: {result.status} in {result.seconds:.1f} s{detail}"
            )
    for result in results:
        if result.status == "failed":
            record_failure(db_url, assignment, result.student, result.reason)
    results.sort(key=lambda r: r.student)
    with open(course / "autograde-report.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "status", "seconds", "reason"])
        for result in results:
            writer.writerow([result.student, result.status, f"{result.seconds:.1f}", result.reason])
    counts = {status: sum(r.status == status for r in results) for status in ("graded", "skipped", "failed")}
    log(
        f"done in {time.perf_counter() - start:.1f} s: {counts['graded']} graded, {counts['skipped']} skipped, "
        f"{counts['failed']} failed (zero points, flagged, reason in the gradebook); report: {course / 'autograde-report.csv'}"
    )
    return results
