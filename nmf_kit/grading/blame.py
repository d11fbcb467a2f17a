"""Whose failure it is: a failure is the grader's only if it also happens without the hand-in.

A hand-in whose grading ends in an ``error`` (anything but the failures that are certainly
the hand-in's: a kernel that died, ran out of memory or flooded its output) is not trusted
to say where the fault lies: every place such an error surfaces processes data the hand-in
controls. So the grader grades a known-good **control** (the assignment's source notebook,
the reference solution, handed in as a student would) the same way: when the control
grades, the failure was the hand-in's doing (a zero, flagged, the reason in the grader's
words); when it fails too, it is the grader's (nothing recorded, the report says so and a
re-run grades the hand-in). One control per grading run suffices: it answers for the grader,
not for a hand-in.
"""

import threading
from dataclasses import replace

CONTROL = "nmf-kit-control"


def control_job(job):
    """The control of ``job``'s run: the source notebooks as a hand-in, with the same settings."""
    files = {name: data for name, data in job.bundle.source.items() if name.endswith(".ipynb")}
    return replace(job, student=CONTROL, files=files)


class Blame:
    """Settles the errors of one grading run by a control, graded at most once by ``grade``."""

    def __init__(self, grade):
        self._grade, self._control, self._lock = grade, None, threading.Lock()

    def control(self, job):
        """The control's outcome (graded on first need)."""
        with self._lock:
            if self._control is None:
                self._control = self._grade(control_job(job))
            return self._control

    def settle(self, job, outcome):
        """``outcome``, with an ``error`` made the hand-in's when the control grades."""
        if outcome.status != "error":
            return outcome
        control = self.control(job)
        if control.status == "graded":
            return replace(
                outcome,
                status="failed",
                reason=f"{outcome.reason}; a known-good hand-in graded normally on this grader, so the "
                "cause is in this hand-in",
            )
        return replace(
            outcome,
            reason=f"{outcome.reason}; a known-good hand-in failed too ({control.reason}): "
            "the grader's failure, not the student's",
        )
