"""Running nbgrader on a course folder, as a separate process, and the class grader.

``nbgrader_environment`` is re-exported from :mod:`nmf_kit.command`, where the command is built.
"""

import subprocess

from .command import nbgrader_command, nbgrader_environment
from .errors import KitError


class NbgraderFailed(KitError):
    """nbgrader exited with an error; the message ends with its last lines."""

    def __init__(self, message):
        super().__init__(message, status=1)


def nbgrader(course, *args, env=None, check=True):
    """Run ``nbgrader ARGS`` in ``course``; return the completed process.

    Raises
    ------
    NbgraderFailed
        When nbgrader fails and ``check``, with nbgrader's own last lines.
    """
    result = subprocess.run(
        nbgrader_command(*args), cwd=course, env=nbgrader_environment(env), capture_output=True, text=True
    )
    if check and result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise NbgraderFailed(f"nbgrader {' '.join(args)} failed (exit {result.returncode}):\n{tail}")
    return result


def autograde(course, assignment, students=None, *, workers=None, force=False, cell_timeout=None, **options):
    """Grade ``students`` (default: every submission) of ``assignment`` in ``course``.

    The one place that calls the class grader (:func:`nmf_kit.grading.batch.autograde_class`),
    after the caller has checked the arguments; ``options`` are passed on (``handin_timeout``,
    ``scheduler``). Returns its list of results.
    """
    from .grading.batch import autograde_class
    from .report import record_times

    results = autograde_class(
        course,
        assignment,
        students or None,
        workers=workers,
        force=force,
        cell_timeout=cell_timeout,
        **options,
    )
    record_times(course, assignment, results)  # the gradebook keeps no time; the class report reads it
    return results
