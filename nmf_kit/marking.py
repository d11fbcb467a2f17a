"""The TAs' marking sheet: every manually graded question of an assignment, its points and its key.

The answer keys live only in the source notebook (nbgrader's formgrader shows the student's
answer, not the key). :func:`marking_sheet` exports them on one Markdown page, in the order of
the notebook: for each manually graded cell its grade_id, its points (from the cell's nbgrader
metadata, the number the gradebook uses), the task or question the students read, and the key
(the model answer and the marking criteria the source cell holds).
"""

import re
from pathlib import Path

from .errors import KitError

NOTEBOOK = "nmf.ipynb"
_SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def _points(points):
    return f"{points:g} point{'' if points == 1 else 's'}"


def _task(cells, index):
    """The markdown cell the students read before answer cell ``index`` (the question or the task)."""
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown" and not _nbgrader(cell).get("grade"):
            return cell.source.strip()
    return "(no question text before this cell)"


def _key(cell):
    """The key of an answer cell: a markdown answer whole; of a code answer, its solution's comments."""
    if cell.cell_type == "markdown":
        return cell.source.strip()
    comments = []
    for block in _SOLUTION.findall(cell.source):
        for line in block.splitlines():  # the key: the comment lines that open the solution
            if not line.strip().startswith("#"):
                break
            comments.append(line.strip().lstrip("#").strip())
    # the reference code stays in the source (the page is for marking, not for the solution)
    return " ".join(comments).strip() or "(no key in the solution's comments: see the source notebook)"


def manual_questions(notebook):
    """The manually graded cells of ``notebook`` (an nbformat node), in order.

    Returns
    -------
    list of dict
        With the keys ``grade_id``, ``points`` (float, from the cell's nbgrader metadata),
        ``kind`` ("written answer" or "figure / code"), ``task`` and ``key``.
    """
    questions = []
    for index, cell in enumerate(notebook.cells):
        meta = _nbgrader(cell)
        if not (meta.get("grade") and meta.get("solution")):
            continue
        questions.append(
            {
                "grade_id": meta["grade_id"],
                "points": float(meta.get("points", 0)),
                "kind": "written answer" if cell.cell_type == "markdown" else "figure / code",
                "task": _task(notebook.cells, index),
                "key": _key(cell),
            }
        )
    return questions


def marking_sheet(source, assignment=None):
    """The marking sheet of the source notebook ``source`` as Markdown.

    Parameters
    ----------
    source : str or pathlib.Path
        The assignment's source notebook (with its solutions and keys), e.g.
        ``source/ex08/nmf.ipynb``.
    assignment : str, optional
        The name shown in the title; default: the notebook's folder name.

    Returns
    -------
    str
        One Markdown page: a table of the questions and their points, then each question's
        task and key.

    Raises
    ------
    KitError
        When ``source`` is missing, is not a notebook, or holds no manually graded cell.
    """
    import nbformat

    source = Path(source)
    if not source.is_file():
        raise KitError(
            f"no source notebook at {source}: pass the assignment's source/<assignment>/{NOTEBOOK}."
        )
    try:
        notebook = nbformat.read(source, as_version=4)
    except Exception as exc:  # nbformat raises several kinds for a file that is not a notebook
        raise KitError(f"{source} is not a readable notebook ({type(exc).__name__}: {exc}).") from exc
    questions = manual_questions(notebook)
    if not questions:
        raise KitError(
            f"{source} has no manually graded cell (nbgrader grade and solution): nothing to mark."
        )
    assignment = assignment or source.parent.name
    total = sum(q["points"] for q in questions)
    lines = [
        f"# Marking sheet: {assignment} ({_points(total)} graded by hand)",
        "",
        (
            f"Exported from `{source.name}` of the source (the keys are not in the release: do not share "
            "this page with students). The points are the gradebook's, from each cell's nbgrader "
            "metadata; give partial credit in the steps the key names."
        ),
        "",
        "| # | grade_id | what | points |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {n} | `{q['grade_id']}` | {q['kind']} | {q['points']:g} |" for n, q in enumerate(questions, 1)
    ]
    lines += [f"| | **total** | | **{total:g}** |", ""]
    for n, q in enumerate(questions, 1):
        task = "\n".join(f"> {line}" if line else ">" for line in q["task"].splitlines())
        lines += [
            f"## {n}. `{q['grade_id']}` ({_points(q['points'])}, {q['kind']})",
            "",
            "**What the students were asked:**",
            "",
            task,
            "",
            "**Key:**",
            "",
            q["key"],
            "",
        ]
    return "\n".join(lines)


def write_marking_sheet(course, assignment, output=None):
    """Write the marking sheet of ``course``'s ``source/<assignment>/nmf.ipynb``; return its path.

    The default ``output`` is ``<course>/marking-sheet-<assignment>.md``.
    """
    output = Path(output) if output else Path(course) / f"marking-sheet-{assignment}.md"
    text = marking_sheet(Path(course) / "source" / assignment / NOTEBOOK, assignment)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text + "\n", encoding="utf-8")
    return output
