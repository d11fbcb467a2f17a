"""The course folder: finding it, making one from the kit's files, what it holds.

A course folder (a course root for nbgrader) holds ``nbgrader_config.py`` and
``source/<assignment>/``; nbgrader adds ``release/``, ``submitted/``,
``autograded/``, ``feedback/`` and the gradebook. Every ``nmf-kit`` command acts
on the course folder it is run in (or ``--course``), never on the installed kit.

The kit's own course files (``source/ex08/``, ``nbgrader_config.py``) are
package data of :mod:`nmf_kit` (``nmf_kit/_kit/`` in a wheel); in a checkout they
are the checkout's files themselves. ``nmf-kit init`` and :func:`new_course` copy them.

Running nbgrader lives in :mod:`nmf_kit.runner`, the gradebook read-outs in
:mod:`nmf_kit.gradebook`, progress messages in :mod:`nmf_kit.progress`; the old
names ``nbgrader``, ``nbgrader_environment``, ``grade_table`` and ``step`` are
still importable from here.
"""

import importlib
import shutil
from pathlib import Path

from .errors import KitError

ASSIGNMENT = "ex08"
NOTEBOOK = "nmf.ipynb"
CONFIG = "nbgrader_config.py"
_MARKER = ".nmf-kit-course"
_IGNORED = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")

# What a course repository should not commit (nbgrader's outputs and state).
GITIGNORE = """\
# nbgrader's outputs and state (made by nmf-kit and nbgrader; never committed)
gradebook.db
gradebook.db-journal
submitted/
autograded/
feedback/
replaced/
downloads/
grades.csv
autograde-report.csv
.nmf-kit/
.ipynb_checkpoints/
__pycache__/
"""

# Names that moved to other modules, importable from here as before.
_MOVED = {
    "nbgrader": "runner",
    "nbgrader_environment": "runner",
    "grade_table": "gradebook",
    "step": "progress",
}


def __getattr__(name):
    if name in _MOVED:
        return getattr(importlib.import_module(f".{_MOVED[name]}", __package__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _is_kit(folder):
    return (folder / "source" / ASSIGNMENT / NOTEBOOK).is_file() and (folder / CONFIG).is_file()


def kit_root():
    """The folder of the kit's own course files: ``source/ex08/`` and ``nbgrader_config.py``.

    The installed package's data (``nmf_kit/_kit/``, from a wheel), else the
    checkout this module sits in (a source or editable install). Never the
    current folder: that is the course's, see :func:`find_course`.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "_kit", here.parent):
        if _is_kit(candidate):
            return candidate
    raise KitError(
        "the kit's course files (source/ex08/nmf.ipynb, nbgrader_config.py) are missing from this "
        "installation of nmf-course-kit: reinstall it (pip install --force-reinstall nmf-course-kit)."
    )


def find_course(folder=None):
    """The course folder ``folder`` (default: the current folder), resolved.

    Raises
    ------
    KitError
        When the folder does not exist or is not a course folder (no ``nbgrader_config.py``).
    """
    given = Path(folder) if folder is not None else Path.cwd()
    course = given.expanduser().resolve()
    if not course.is_dir():
        raise KitError(f"course folder {given} does not exist: pass --course <your course folder>.")
    if not (course / CONFIG).is_file():
        raise KitError(
            f"{course} is not a course folder (no {CONFIG}): run this in your course folder or pass "
            "--course <folder>; `nmf-kit init <folder>` makes a new one."
        )
    return course


def course_directory(course):
    """nbgrader's ``CourseDirectory`` for ``course``, configured by its ``nbgrader_config.py``."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    course = Path(course).resolve()
    config = PyFileConfigLoader(CONFIG, path=str(course)).load_config()
    return CourseDirectory(config=config, root=str(course))


def source_assignments(course):
    """The assignments of ``course``: folders of ``source/`` holding a notebook."""
    source = Path(course) / "source"
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def submitted_students(course, assignment=ASSIGNMENT):
    """Student ids with a folder ``submitted/<id>/<assignment>/``."""
    root = Path(course) / "submitted"
    return sorted(p.parent.name for p in root.glob(f"*/{assignment}") if p.is_dir())


def check_assignment(course, assignment, known):
    """Raise KitError naming the ``known`` assignments when ``assignment`` is not one of them."""
    if assignment in known:
        return assignment
    listed = ", ".join(known) if known else "none yet"
    raise KitError(f"no assignment {assignment!r} in {course}: known assignments: {listed}.")


def _copy_kit(kit, folder):
    shutil.copytree(kit / "source", folder / "source", symlinks=False, ignore=_IGNORED, dirs_exist_ok=True)
    shutil.copy(kit / CONFIG, folder / CONFIG)


def init_course(folder, kit=None):
    """Make ``folder`` a new course from the kit's files: ``source/``, ``nbgrader_config.py``
    and a ``.gitignore`` for nbgrader's outputs.

    ``folder`` may exist (e.g. an empty repository); a folder that already holds
    a course (``nbgrader_config.py`` or ``source/``) is refused, never overwritten.
    Returns the course folder, resolved.
    """
    folder = Path(folder).expanduser().resolve()
    kit = Path(kit) if kit else kit_root()
    if folder.is_file():
        raise KitError(f"{folder} is a file: choose a folder for the course.")
    clashes = [name for name in (CONFIG, "source") if (folder / name).exists()]
    if clashes:
        raise KitError(
            f"{folder} already holds a course ({', '.join(clashes)}): work in it, or choose a new folder."
        )
    folder.mkdir(parents=True, exist_ok=True)
    _copy_kit(kit, folder)
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(GITIGNORE)
    return folder


def new_course(folder, kit=None):
    """Copy the kit's source/ and nbgrader_config.py into ``folder`` (a fresh course root).

    For demos and tests: ``folder`` must not exist, be empty, or be a course this
    function made before (which is then replaced); anything else is refused,
    never deleted.
    """
    folder = Path(folder)
    kit = Path(kit) if kit else kit_root()
    if folder.exists() and not folder.is_dir():
        raise KitError(f"{folder} is a file: choose a new folder (--workdir).")
    if folder.exists() and any(folder.iterdir()):
        if not (folder / _MARKER).exists():
            raise KitError(
                f"{folder} exists and is not a course made by nmf-kit: choose a new folder (--workdir), "
                "or delete it yourself."
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / _MARKER).write_text("made by nmf-kit; safe to delete\n")
    _copy_kit(kit, folder)
    return folder
