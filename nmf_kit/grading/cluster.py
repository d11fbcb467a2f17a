"""Grading on a Dask cluster: the same worker function, on the cluster's workers.

With ``nmf-kit autograde --scheduler ADDRESS`` (or ``c.Grader.scheduler``), every hand-in is a
Dask task running :func:`nmf_kit.grading.worker.grade` on a worker: the task carries the
hand-in's files (size-capped) and its seed, the course's grading bundle travels once per
worker, and the task returns the executed notebook, the trusted verdicts and the log. No
file system is shared; workers need the course environment, the kit (``pip install
nmf-course-kit[cluster]``), bubblewrap and the data set (``NMF_HELPERS_DATA``), nothing of
the course folder. Only the client writes the course and its gradebook, one outcome at a
time, so a task that Dask runs again after its worker died is still recorded once.

A worker that dies mid-hand-in: Dask gives the task to another worker (up to
``distributed.scheduler.allowed-failures`` times). A scheduler that goes away: the outcomes
that arrived are recorded, the run stops with :class:`SchedulerLost`, and the report lists
what was not graded; a re-run grades only those.
"""

import logging
from dataclasses import replace

from ..errors import KitError
from . import worker
from .jobs import Outcome

log = logging.getLogger(__name__)


class SchedulerLost(KitError):
    """The Dask scheduler went away during the run."""

    def __init__(self, message, pending):
        super().__init__(message, status=1)
        self.pending = pending


def _grade(job, bundle):
    """The task: a job without its bundle, and the bundle (sent to each worker once)."""
    from distributed import get_worker

    outcome = worker.grade(replace(job, bundle=bundle))
    outcome.worker = get_worker().address
    return outcome


def connect(address, timeout=10):
    """A Dask client of the scheduler at ``address``, or KitError saying what to do."""
    try:
        from distributed import Client
    except ImportError:
        raise KitError(
            "grading on a cluster needs Dask distributed: pip install 'nmf-course-kit[cluster]' "
            "(on this machine and on every worker)."
        ) from None
    try:
        return Client(address, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise KitError(
            f"cannot reach a Dask scheduler at {address} ({type(exc).__name__}: {exc}): start one with "
            "`dask scheduler` and workers with `dask worker ADDRESS` (see the README), or grade on this "
            "machine without --scheduler."
        ) from None


def run_on_cluster(jobs, address, *, retries=2):
    """Yield the :class:`~nmf_kit.grading.jobs.Outcome` of every job as it finishes on the cluster.

    Raises :class:`SchedulerLost` (after yielding what finished) when the scheduler goes away.
    """
    from distributed import as_completed

    if not jobs:
        return
    client = connect(address)
    try:
        workers = len(client.scheduler_info().get("workers", {}))
        if workers == 0:
            log.warning(f"the scheduler at {address} has no workers yet; the hand-ins wait for one")
        else:
            log.info(f"{workers} Dask worker(s) at {address}")
        bundle = client.scatter(jobs[0].bundle, broadcast=False, hash=True)
        futures = {}
        for job in jobs:
            light = replace(job, bundle=None)
            key = f"nmf-kit-{job.bundle.assignment}-{job.student}-{job.seed:x}"
            futures[client.submit(_grade, light, bundle, key=key, retries=retries, pure=False)] = job.student
        pending = set(futures.values())
        try:
            # this client's loop: it is not the default client (as_completed would look for one)
            for future in as_completed(futures, loop=client.loop):
                student = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:
                    if _lost(client):
                        raise
                    outcome = Outcome(student, "error", 0.0, f"the cluster could not grade it: {exc}")
                pending.discard(student)
                yield outcome
        except Exception as exc:
            if not _lost(client):
                raise
            raise SchedulerLost(
                f"the Dask scheduler at {address} went away ({type(exc).__name__}); "
                f"{len(pending)} hand-in(s) "
                "were not graded: run the same command again to grade them.",
                sorted(pending),
            ) from None
    finally:
        client.close()


def _lost(client):
    try:
        client.scheduler_info()
        return client.status not in ("running", "connecting")
    except Exception:  # noqa: BLE001 - any failure to talk to it means it is gone
        return True
