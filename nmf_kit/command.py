"""How the kit starts nbgrader: one command line and one environment, for every caller.

A leaf module (standard library only): :mod:`nmf_kit.runner` (commands in a course),
:mod:`nmf_kit.grading.jobs` (the grading bundle) and :mod:`nmf_kit.grading.worker`
(a hand-in's autograde, with limits) all build their command here.
"""

import contextlib
import os
import sys


def _with_scripts(path):
    """``path`` (a PATH value) with this Python's scripts first: nbgrader starts ``alembic`` (its
    gradebook migrations) by name, also when the environment was not activated."""
    scripts = os.path.dirname(sys.executable)
    parts = path.split(os.pathsep) if path else []
    return path if scripts in parts else os.pathsep.join([scripts, *parts])


def nbgrader_environment(env=None):
    """This process's environment, plus ``env``, for running nbgrader."""
    environment = {**os.environ, **(env or {})}
    environment["PATH"] = _with_scripts(environment.get("PATH", ""))
    return environment


@contextlib.contextmanager
def scripts_on_path():
    """The same for nbgrader's API used in this process (a gradebook it creates runs alembic)."""
    old = os.environ.get("PATH", "")
    os.environ["PATH"] = _with_scripts(old)
    try:
        yield
    finally:
        os.environ["PATH"] = old


def nbgrader_command(*args, root=None, db_url=None):
    """``python -m nbgrader ARGS``, for the course at ``root`` and the gradebook ``db_url`` when given."""
    command = [sys.executable, "-m", "nbgrader", *map(str, args)]
    if root is not None:
        command.append(f"--CourseDirectory.root={root}")
    if db_url is not None:
        command.append(f"--CourseDirectory.db_url={db_url}")
    return command
