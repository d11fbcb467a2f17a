"""Grading a class: hand-ins graded by workers, recorded in the course by one coordinator.

:func:`autograde_class` turns every submission into a :class:`~nmf_kit.grading.jobs.Job`
(its files, a seed, the course's grading :class:`~nmf_kit.grading.jobs.Bundle`),
has workers grade them — a local pool by default, a Dask cluster with a scheduler
address (:mod:`nmf_kit.grading.cluster`) — and records each outcome as it arrives:

- graded: the worker's executed notebooks and trusted verdicts are written into the
  course's ``autograded/`` and gradebook once, with nbgrader's API and the scoring
  preprocessors the worker ran (:mod:`nmf_kit.grading.record`): no second nbgrader
  pass, and only this process writes;
- failed (not notebook JSON, a kernel that died, out of time or memory): a zero,
  flagged, with the reason in the comments; an old ``autograded/`` copy is removed;
- error: graded once more, then settled by a known-good control
  (:mod:`nmf_kit.grading.blame`): the hand-in's (a flagged zero) when the control grades,
  the grader's (nothing recorded; the report says so and a re-run grades it) when it fails too.

A submission folder that holds anything but plain files and folders (a symbolic
link, a fifo, a device) is refused, never followed. The report
(``autograde-report.csv``) is written whatever happens.
"""

import csv
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from traitlets import Integer, Unicode
from traitlets.config import Configurable

from ..errors import KitError
from . import worker
from .blame import Blame
from .jobs import Options, make_jobs, submitted_students
from .record import Recorder
from .sandbox import Sandbox

log = logging.getLogger(__name__)
REPORT = "autograde-report.csv"


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
    options = Options(
        cell_timeout=int(cell_timeout or config.get("Execute", {}).get("timeout", 180) or 180),
        handin_timeout=int(handin_timeout or grader.handin_timeout),
        sandbox={name: getattr(settings, name) for name in settings.class_trait_names(config=True)},
        data_folder=str(data_folder) if data_folder else None,
        # on a cluster each worker sizes its own from its machine
        grader_memory=None if scheduler else worker.grader_memory(workers),
    )  # fmt: skip
    _check_gradebook(coursedir.db_url, assignment)
    recorder = Recorder(course, coursedir, assignment)
    every = students if students is not None else submitted_students(course, assignment)
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
        jobs, refused, notes = make_jobs(course, assignment, todo, options, config, coursedir.db_url)
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
