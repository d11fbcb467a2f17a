"""Progress messages of the kit's tools: the ``nmf_kit`` logger and timed steps.

Library code logs to ``logging.getLogger("nmf_kit")`` and never prints; the
``nmf-kit`` command line attaches a plain console handler (message only) for
the length of one command, so that a caller embedding the kit decides where
its messages go.
"""

import contextlib
import logging
import sys
import time

log = logging.getLogger("nmf_kit")


class _Plain(logging.Formatter):
    """The message alone; warnings and errors keep their level as a prefix."""

    def format(self, record):
        message = super().format(record)
        return message if record.levelno < logging.WARNING else f"{record.levelname}: {message}"


@contextlib.contextmanager
def console(stream=None, level=logging.INFO):
    """Show the kit's messages on ``stream`` (default: the current ``sys.stdout``) meanwhile."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(_Plain("%(message)s"))
    old_level, old_propagate = log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False  # one line each, not a second copy through the root logger
    try:
        yield handler
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)
        log.propagate = old_propagate


class _Step:
    """What :func:`step` yields: ``note`` is added to the step's line."""

    def __init__(self):
        self.note = ""


@contextlib.contextmanager
def step(message):
    """Time a step and log it as one line when it ends: ``- message (1.2 s): note``.

    One line per step, written when the step is over, so that messages other
    code prints meanwhile never break into it.
    """
    start, done = time.perf_counter(), _Step()
    yield done
    note = f": {done.note}" if done.note else ""
    log.info("- %s (%.1f s)%s", message, time.perf_counter() - start, note)
