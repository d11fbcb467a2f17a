"""Grading a class: hand-ins graded by workers, recorded in the course by one coordinator.

:func:`autograde_class` turns every submission into a :class:`~nmf_kit.grading.handin.Job`
(its files, a seed, the course's grading :class:`~nmf_kit.grading.handin.Bundle`),
has workers grade them — a local pool by default, a Dask cluster with a scheduler
address (:mod:`nmf_kit.grading.cluster`) — and records each outcome as it arrives:

- graded: the worker's executed notebooks and trusted verdicts are written into the
  course's ``autograded/`` and gradebook once, with nbgrader's API and the scoring
  preprocessors the worker ran (:mod:`nmf_kit.grading.record`): no second nbgrader
  pass, and only this process writes;
- failed (not notebook JSON, a kernel that died, out of time or memory): a zero,
  flagged, with the reason in the comments; an old ``autograded/`` copy is removed;
- error (the grader's own failure, e.g. the sandbox): nothing is recorded; the
  report says so and a re-run grades it.

A submission folder that holds anything but plain files and folders (a symbolic
link, a fifo, a device) is refused, never followed. The report
(``autograde-report.csv``) is written whatever happens.
"""

import csv
import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from traitlets import Integer, Unicode
from traitlets.config import Configurable

from ..command import nbgrader_command, nbgrader_environment
from ..errors import KitError
from . import handin as worker
from .blame import Blame
from .record import Recorder
from .sandbox import Sandbox

log = logging.getLogger(__name__)
REPORT = "autograde-report.csv"
SECRET = Path(".nmf-kit") / "secret"


class Grader(Configurable):
    """Class grading options (``c.Grader.*`` in nbgrader_config.py; the command line overrides them)."""

    workers = Integer(0, min=0, help="hand-ins graded at once (0: the number of cores)").tag(config=True)
    handin_timeout = Integer(600, min=1, help="seconds of wall time for one hand-in, all cells").tag(
        config=True
    )
    scheduler = Unicode("", help="address of a Dask scheduler to grade on (empty: this machine)").tag(
        config=True
    )


@dataclass
class Result:
    """One line of the report."""

    student: str
    status: str  # graded, failed, error, skipped
    seconds: float
    reason: str = ""
    worker: str = ""


# --------------------------------------------------------------------------- the course's side
def plain_tree(folder):
    """Why a submission folder is not a tree of plain files and folders (a link, a fifo, a
    device: never followed or opened), or ''."""
    folder = Path(folder)
    for path in (folder.parent, folder):
        if path.is_symlink():
            return f"{path.name} is a symbolic link"
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            mode = os.lstat(os.path.join(root, name)).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a plain file"
                return f"{Path(root, name).relative_to(folder)} is {kind}"
    return ""


def _files(folder):
    """The submission's plain files, as bytes (checkpoints left out)."""
    files = {}
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints"]
        for name in names:
            path = Path(root, name)
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as handle:
                files[str(path.relative_to(folder))] = handle.read()
    return files


def course_secret(course):
    """The course's secret for hand-in seeds (made once, readable by its owner only)."""
    path = Path(course) / SECRET
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def handin_seed(secret, assignment, student, files):
    """The seed of a hand-in's hidden inputs: the same hand-in always gets the same inputs,
    another hand-in (or another student) other ones, and nobody can compute them without
    the course's secret."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    message = f"{assignment}\0{student}\0".encode() + digest.digest()
    return int.from_bytes(hmac.new(secret, message, "sha256").digest()[:8], "big") >> 1


def make_bundle(course, assignment, config_text, gradebook_url):
    """The course's grading material for workers, checked against the course's gradebook.

    The worker's gradebook holds the assignment's source cells, made by ``nbgrader
    generate_assignment`` from ``source/<assignment>`` into a private SQLite file;
    they must equal the course's own (else the release is stale).
    """
    source = Path(course) / "source" / assignment
    files = {
        str(p.relative_to(source)): p.read_bytes()
        for p in sorted(source.rglob("*"))
        if p.is_file() and not p.is_symlink() and not {"__pycache__", ".ipynb_checkpoints"} & set(p.parts)
    }
    with tempfile.TemporaryDirectory(prefix="nmf-kit-bundle-") as tmp:
        tmp = Path(tmp)
        (tmp / "nbgrader_config.py").write_text(config_text, encoding="utf-8")
        worker._write_tree(tmp / "source" / assignment, files)
        url = f"sqlite:///{tmp / 'gradebook.db'}"
        run = subprocess.run(
            nbgrader_command("generate_assignment", assignment, "--force", root=tmp, db_url=url),
            cwd=tmp, capture_output=True, text=True, env=nbgrader_environment(),
        )  # fmt: skip
        if run.returncode != 0:
            tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-8:])
            raise KitError(
                f"could not prepare {assignment} for grading (nbgrader generate_assignment):\n{tail}"
            )
        stale = _cells_differ(url, gradebook_url, assignment)
        if stale:
            raise KitError(
                f"source/{assignment} has changed since its release was generated ({stale}): run "
                f"`nmf-kit release` (nbgrader generate_assignment {assignment}) and hand out the new "
                "release, "
                "or restore the source, before grading."
            )
        gradebook = (tmp / "gradebook.db").read_bytes()
    digest = hashlib.sha256(config_text.encode() + gradebook + json.dumps(sorted(files)).encode()).hexdigest()
    return worker.Bundle(assignment, config_text, files, gradebook, digest)


def _cells(url, assignment):
    from nbgrader.api import Gradebook

    with Gradebook(url) as gradebook:
        found = {}
        for notebook in gradebook.find_assignment(assignment).notebooks:
            for cell in notebook.source_cells:
                found[(notebook.name, cell.name)] = (cell.cell_type, cell.checksum)
            for cell in notebook.grade_cells:
                found[(notebook.name, cell.name, "points")] = float(cell.max_score)
        return found


def _cells_differ(template, course, assignment):
    mine, theirs = _cells(template, assignment), _cells(course, assignment)
    changed = sorted(
        {key[1] for key in set(mine) ^ set(theirs)}
        | {k[1] for k in mine if k in theirs and mine[k] != theirs[k]}
    )
    return ", ".join(changed[:6]) + (" ..." if len(changed) > 6 else "")


# --------------------------------------------------------------------------- the class
def default_workers():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def autograde_class(course, assignment, students=None, *, workers=None, force=False, cell_timeout=None,
                    handin_timeout=None, scheduler=None, data_folder=None):  # fmt: skip
    """Autograde the submissions of ``assignment`` in ``course`` (all, or ``students``).

    Parameters
    ----------
    course : path-like
        The course folder (its ``nbgrader_config.py`` configures nbgrader, ``c.Sandbox``
        and ``c.Grader``).
    assignment : str
    students : list of str, default=None
        Student ids with a folder in ``submitted/``; None grades every submission.
    workers : int, default=None
        Hand-ins graded at once; None uses ``c.Grader.workers`` or the number of cores.
    force : bool, default=False
        Grade again the hand-ins already autograded.
    cell_timeout, handin_timeout : int, default=None
        Seconds per cell and per hand-in; None uses the course's configuration.
    scheduler : str, default=None
        A Dask scheduler's address: grade on that cluster.
    data_folder : path-like, default=None
        The folder holding ``ml-100k/`` that kernels read; None uses ``NMF_HELPERS_DATA``
        or the cache.

    Returns
    -------
    results : list of Result
        One per hand-in, sorted by student; also written to ``autograde-report.csv``.
    """
    from ..course import course_directory

    course = Path(course).resolve()
    coursedir = course_directory(course)
    config = coursedir.config
    settings, grader = Sandbox(config=config), Grader(config=config)
    scheduler = scheduler or grader.scheduler or None
    workers = int(workers or grader.workers or (0 if scheduler else default_workers()))
    options = worker.Options(
        cell_timeout=int(cell_timeout or config.get("Execute", {}).get("timeout", 180) or 180),
        handin_timeout=int(handin_timeout or grader.handin_timeout),
        sandbox={name: getattr(settings, name) for name in settings.class_trait_names(config=True)},
        data_folder=str(data_folder) if data_folder else None,
        # on a cluster each worker sizes its own from its machine
        grader_memory=None if scheduler else worker.grader_memory(workers),
    )  # fmt: skip
    _check_gradebook(coursedir.db_url, assignment)
    recorder = Recorder(course, coursedir, assignment)
    every = students if students is not None else _submitted(course, assignment)
    results, todo = [], []
    for student in every:
        if not force and recorder.already_graded(student):
            results.append(Result(student, "skipped", 0.0, "already autograded (use --force to grade again)"))
        else:
            todo.append(student)
    start, finished = time.perf_counter(), False
    try:
        if settings.tool == "none":
            log.warning(
                "WARNING: grading WITHOUT a sandbox (c.Sandbox.tool = 'none'): "
                "student code runs with your rights."
            )
        jobs, refused, notes = _jobs(course, assignment, todo, options, config, coursedir.db_url)
        for student, reason in refused:
            results.append(_record_failure(recorder, student, reason, 0.0))
        where = f"on the Dask cluster at {scheduler}" if scheduler else f"with {workers} worker(s)"
        boxed = ", each kernel in the bwrap sandbox" if settings.tool == "bwrap" else ""
        log.info(f"autograding {len(jobs)} submission(s) of {assignment} {where}{boxed}")
        if jobs and settings.tool == "bwrap" and not scheduler:
            _self_test(settings, assignment, options, course)
        width, pending = len(str(len(jobs))), {job.student for job in jobs}
        try:
            for done, outcome in enumerate(_run(jobs, workers, scheduler), 1):
                result = _record(recorder, outcome)
                result.reason = "; ".join(filter(None, [notes.get(result.student), result.reason]))
                results.append(result)
                pending.discard(result.student)
                detail = f" ({result.reason})" if result.reason else ""
                where = f"{result.seconds:.1f} s on {result.worker}"
                log.info(
                    f"[{done:{width}d}/{len(jobs)}] {result.student}: {result.status} in {where}{detail}"
                )
        except KitError:
            results += [
                Result(s, "error", 0.0, "not graded: the run stopped before it (run again)")
                for s in sorted(pending)
            ]
            raise
        finished = True
    finally:
        _report(course, results, time.perf_counter() - start, finished)
    return sorted(results, key=lambda r: r.student)


def _check_gradebook(url, assignment):
    """KitError saying what to do when the gradebook cannot be opened or lacks the assignment."""
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    shown = make_url(url).render_as_string(hide_password=True)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :].split("?")[0]).is_file():
        raise KitError(
            f"there is no gradebook at {shown} yet: run `nmf-kit release` (generate the assignment) first."
        )
    try:
        with Gradebook(url) as gradebook:
            gradebook.find_assignment(assignment)
    except MissingEntry:
        raise KitError(
            f"{assignment} is not in the gradebook ({shown}): run `nmf-kit release` first."
        ) from None
    except (SQLAlchemyError, OSError) as exc:
        detail = str(exc).strip().splitlines()[0][:200]
        raise KitError(
            f"cannot open the gradebook at {shown} ({detail}): check c.CourseDirectory.db_url in "
            "nbgrader_config.py and that its database server runs and accepts this user."
        ) from None


def _submitted(course, assignment):
    root = course / "submitted"
    return sorted(p.parent.name for p in root.glob(f"*/{assignment}") if p.is_dir()) if root.is_dir() else []


def _jobs(course, assignment, students, options, config, db_url):
    """Jobs for the hand-ins that can be sent, and (student, reason) for those that cannot."""
    from ..submissions import place_notebook

    jobs, refused, notes = [], [], {}
    if not students:
        return jobs, refused, notes
    bundle = make_bundle(
        course, assignment, (course / "nbgrader_config.py").read_text(encoding="utf-8"), db_url
    )
    secret = course_secret(course)
    for student in students:
        folder = course / "submitted" / student / assignment
        problem = plain_tree(folder) if folder.is_dir() else f"no folder submitted/{student}/{assignment}"
        if not problem:
            try:
                notes[student] = place_notebook(folder, bundle.notebooks)
            except ValueError as exc:
                problem = f"{exc} (in submitted/{student}/{assignment})"
        if problem:
            refused.append((student, problem))
            continue
        files = _files(folder)
        jobs.append(
            worker.Job(student, files, handin_seed(secret, assignment, student, files), bundle, options)
        )
    return jobs, refused, notes


def _self_test(settings, assignment, options, course):
    from .sandbox import self_test

    folder = options.data_folder or worker._data_folder(options)
    bound = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
    try:  # a few things of the grader's home that must not be visible (if it has one)
        entries = sorted(Path.home().iterdir())
    except (OSError, RuntimeError):
        entries = []
    private = [p for p in entries if not any(p == b or p in b.parents for b in bound)][:3]
    secret = [course / "source", course / "nbgrader_config.py", course / "submitted", *private]
    report = self_test(settings, assignment=assignment, data_folder=folder, secret_paths=secret)
    log.info(f"sandbox self-test passed in {report['seconds']:.1f} s (uid {report['uid']}, no capabilities, "
             "no network, no reference solutions)")  # fmt: skip


def _run(jobs, workers, scheduler):
    """Outcomes of ``jobs`` as they finish, from a local pool or a Dask cluster, errors settled by
    a control (:mod:`nmf_kit.grading.blame`)."""
    by_student = {job.student: job for job in jobs}
    if scheduler:
        from .cluster import run_on_cluster

        blame = Blame(lambda control: next(iter(run_on_cluster([control], scheduler))))
        for outcome in run_on_cluster(jobs, scheduler):
            yield blame.settle(by_student[outcome.student], outcome)
        return
    blame = Blame(worker.grade)
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="grader") as pool:
        futures = {pool.submit(worker.grade, job): job for job in jobs}
        retried = set()
        while futures:
            for future in as_completed(list(futures)):
                job, outcome = futures.pop(future), future.result()
                # A passing fault of the machine should not cost a student: grade it once more.
                if outcome.status == "error" and job.student not in retried:
                    retried.add(job.student)
                    log.info(f"{job.student}: not graded ({outcome.reason}); grading it again")
                    futures[pool.submit(worker.grade, job)] = job
                    continue
                yield blame.settle(job, outcome)


def _record(recorder, outcome):
    if outcome.status == "graded":
        problem = recorder.graded(outcome)
        if not problem:
            return Result(outcome.student, "graded", outcome.seconds, _graded_note(outcome), outcome.worker)
        return Result(outcome.student, "error", outcome.seconds, problem, outcome.worker)
    if outcome.status == "failed":
        return _record_failure(recorder, outcome.student, outcome.reason, outcome.seconds, outcome.worker)
    return Result(outcome.student, "error", outcome.seconds, outcome.reason, outcome.worker)


def _graded_note(outcome):
    flags = sorted({f for record in outcome.records.values() for f in record.get("flags", [])})
    return f"flagged for the instructor: {'; '.join(flags)}" if flags else ""


def _record_failure(recorder, student, reason, seconds, where=""):
    try:
        recorder.failed(student, reason)
    except Exception as exc:  # noqa: BLE001 - one student's gradebook error must not stop the batch
        return Result(
            student, "error", seconds, f"{reason}; and the gradebook refused the zero: {exc}", where
        )
    return Result(student, "failed", seconds, reason, where)


def _report(course, results, seconds, finished=True):
    results = sorted(results, key=lambda r: r.student)
    path = course / REPORT
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "status", "seconds", "worker", "reason"])
        for r in results:
            writer.writerow([r.student, r.status, f"{r.seconds:.1f}", r.worker, r.reason])
    counts = {s: sum(r.status == s for r in results) for s in ("graded", "skipped", "failed", "error")}
    # A run that stopped early must not read like a success.
    done = "done in" if finished else "STOPPED after"
    summary = f"{done} {seconds:.1f} s: {counts['graded']} graded, {counts['skipped']} skipped"
    if counts["failed"]:
        summary += f", {counts['failed']} failed (zero points, flagged, reason in the gradebook)"
    if counts["error"]:
        summary += f", {counts['error']} not graded because of the grader (see the report; run again)"
    log.info(f"{summary}; report: {path}")
