"""Hand-ins made from the release: the reference solution, or variants with bugs.

A hand-in is the released notebook with its answer cells filled in, as a
student would fill them. The reference answers are the solution cells of the
source notebook without the ``### BEGIN/END SOLUTION`` markers; a variant
replaces some of them (``{grade_id: source}``).
"""

import copy
import re

import nbformat

#: The answer cells that define the graded functions, and the imports they need.
FUNCTION_CELLS = ("imports", "update_rules", "non_negative", "recommend_movies")

_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
_STUB = "# YOUR CODE HERE"
# "**Model answer and marking (2 points).** ": the rubric heading a student would not write.
_RUBRIC = re.compile(r"^\*\*Model answer and marking[^*]*\*\*\s*")


def _is_answer(cell):
    return cell.metadata.get("nbgrader", {}).get("solution", False)


def reference_answers(source_notebook):
    """``{grade_id: source}`` of every answer cell of the source notebook, markers removed."""
    notebook = nbformat.read(source_notebook, as_version=4)
    answers = {}
    for cell in notebook.cells:
        if _is_answer(cell):
            source = _MARKER.sub("", cell.source)
            if cell.cell_type == "markdown":
                source = _RUBRIC.sub("", source, count=1)
            answers[cell.metadata["nbgrader"]["grade_id"]] = source
    return answers


def fill_answers(release_notebook, answers):
    """A copy of the released notebook with the answer cells named in ``answers`` filled in.

    Raises KeyError for a grade id that is not an answer cell of the release.
    """
    notebook = copy.deepcopy(nbformat.read(release_notebook, as_version=4))
    ids = {cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells if _is_answer(cell)}
    unknown = set(answers) - ids
    if unknown:
        raise KeyError(f"not answer cells of {release_notebook}: {sorted(unknown)}")
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if _is_answer(cell) and grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


def make_handin(release_notebook, source_notebook, changes=None):
    """The reference hand-in, with ``changes`` ({grade_id: source}) applied over it."""
    answers = reference_answers(source_notebook)
    answers.update(changes or {})
    return fill_answers(release_notebook, answers)


def python_source(cell_source):
    """Cell source without IPython magics (``%...``, ``!...``), which plain exec cannot run."""
    return "\n".join(line for line in cell_source.splitlines() if not line.lstrip().startswith(("%", "!")))


def function_namespace(source_notebook, changes=None):
    """Run the cells that define the graded functions (reference answers with
    ``changes`` applied) and return the namespace, as the kernel would hold it.

    The notebook's folder is on ``sys.path`` meanwhile, for ``import movielens``.
    """
    import sys
    from pathlib import Path

    notebook = nbformat.read(source_notebook, as_version=4)
    answers = reference_answers(source_notebook) | (changes or {})
    folder = str(Path(source_notebook).parent)
    namespace = {"__name__": "__main__"}
    sys.path.insert(0, folder)
    try:
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in FUNCTION_CELLS:
                exec(compile(python_source(answers.get(grade_id, cell.source)), grade_id, "exec"), namespace)
    finally:
        sys.path.remove(folder)
    return namespace
