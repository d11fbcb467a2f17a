"""Running nbgrader on a course folder: a fresh copy of the kit's course, commands, grades.

The kit's own folder is a course root (``source/``, ``release/``,
``nbgrader_config.py``). Demos and tests work on a copy of it elsewhere, so
that they never write into the kit.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ASSIGNMENT = "ex08"
NOTEBOOK = "nmf.ipynb"
_MARKER = ".nmf-kit-course"


def kit_root():
    """The folder of the kit: the one holding source/ and nbgrader_config.py."""
    here = Path(__file__).resolve().parents[1]
    for candidate in (here, Path.cwd()):
        if (candidate / "source" / ASSIGNMENT / NOTEBOOK).is_file() and (
            candidate / "nbgrader_config.py"
        ).is_file():
            return candidate
    raise FileNotFoundError(
        "cannot find the kit (a folder with source/ex08/nmf.ipynb and nbgrader_config.py): "
        "run this from the kit's folder."
    )


def new_course(folder, kit=None):
    """Copy the kit's source/ and nbgrader_config.py into ``folder`` (a fresh course root).

    ``folder`` must not exist, be empty, or be a course this function made
    before (which is then replaced); anything else is refused, never deleted.
    """
    folder, kit = Path(folder), Path(kit) if kit else kit_root()
    if folder.exists() and any(folder.iterdir()):
        if not (folder / _MARKER).exists():
            raise FileExistsError(
                f"{folder} exists and is not a course made by nmf-kit; choose another folder."
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / _MARKER).write_text("made by nmf-kit; safe to delete\n")
    shutil.copytree(
        kit / "source",
        folder / "source",
        symlinks=False,
        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"),
    )
    shutil.copy(kit / "nbgrader_config.py", folder / "nbgrader_config.py")
    return folder


def nbgrader_environment(env=None):
    """This process's environment (plus ``env``) for running nbgrader.

    nbgrader starts ``alembic`` (gradebook migrations) by name: this Python's
    scripts must be on PATH even when its environment was not activated.
    """
    environment = {**os.environ, **(env or {})}
    environment["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), environment.get("PATH", "")])
    return environment


def nbgrader(course, *args, env=None, check=True, quiet=True):
    """Run ``nbgrader ARGS`` in ``course``; return the completed process.

    Raises RuntimeError with nbgrader's own last lines when it fails and ``check``.
    """
    command = [sys.executable, "-m", "nbgrader", *args]
    result = subprocess.run(
        command, cwd=course, env=nbgrader_environment(env), capture_output=True, text=True
    )
    if check and result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"nbgrader {' '.join(args)} failed (exit {result.returncode}):\n{tail}")
    if not quiet:
        print(result.stdout + result.stderr)
    return result


def step(message):
    """Print a progress line for a step; return a function that ends it with the time taken."""
    start = time.perf_counter()
    print(f"- {message} ...", end="", flush=True)

    def done(extra=""):
        print(f" {time.perf_counter() - start:.1f} s{extra}", flush=True)

    return done


def grade_table(course, assignment=ASSIGNMENT):
    """One row per student: points from the tests, their maximum, the assignment's maximum,
    and whether answers still wait for manual grading."""
    import pandas as pd
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gradebook:
        for submission in gradebook.assignment_submissions(assignment):
            automatic = automatic_max = 0.0
            for notebook in submission.notebooks:
                answers = {cell.name for cell in notebook.notebook.solution_cells}
                for grade in notebook.grades:
                    if grade.name not in answers:  # a test cell, not a hand-graded answer
                        automatic += grade.auto_score or 0.0
                        automatic_max += grade.max_score
            rows.append(
                {
                    "student": submission.student_id,
                    "tests": automatic,
                    "tests max": automatic_max,
                    "assignment max": submission.max_score,
                    "manual grading left": bool(submission.needs_manual_grade),
                }
            )
    return pd.DataFrame(rows).sort_values("student").reset_index(drop=True)
