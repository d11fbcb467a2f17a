"""Reading and writing a course's gradebook, through the course's configured database URL.

``CourseDirectory.db_url`` in the course's ``nbgrader_config.py`` names the
gradebook (SQLite ``gradebook.db`` in the course folder by default; a server
database works the same way). Nothing here assumes a file.
"""

from contextlib import contextmanager
from pathlib import Path

from .command import scripts_on_path
from .course import ASSIGNMENT, course_directory


def db_url(course):
    """The gradebook's database URL as nbgrader would use it in ``course``."""
    return course_directory(course).db_url


def _sqlite_file(url):
    """The file of a SQLite URL (None for an in-memory or server database)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    path = url[len(prefix) :].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def exists(course):
    """Whether the gradebook exists yet (a server database is taken to exist)."""
    path = _sqlite_file(db_url(course))
    return path is None or path.is_file()


@contextmanager
def open_gradebook(course):
    """nbgrader's :class:`~nbgrader.api.Gradebook` of ``course``, closed afterwards."""
    from nbgrader.api import Gradebook

    with scripts_on_path(), Gradebook(db_url(course)) as gradebook:
        yield gradebook


def assignments(course):
    """Names of the assignments in the gradebook (none when it does not exist yet)."""
    if not exists(course):
        return []
    with open_gradebook(course) as gradebook:
        return sorted(assignment.name for assignment in gradebook.assignments)


def record_student(course, student, first_name=None, last_name=None):
    """Add ``student`` to the gradebook, or update their names when given."""
    names = {key: value for key, value in (("first_name", first_name), ("last_name", last_name)) if value}
    with open_gradebook(course) as gradebook:
        gradebook.update_or_create_student(student, **names)


def grade_table(course, assignment=ASSIGNMENT):
    """One row per student: points from the tests, their maximum, the assignment's maximum,
    and whether answers still wait for manual grading.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``student``, ``tests``, ``tests max``, ``assignment max``,
        ``manual grading left``; sorted by student.
    """
    import pandas as pd

    rows = []
    with open_gradebook(course) as gradebook:
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
    columns = ["student", "tests", "tests max", "assignment max", "manual grading left"]
    return pd.DataFrame(rows, columns=columns).sort_values("student").reset_index(drop=True)
