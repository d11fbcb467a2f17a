"""Names and ids a hand-in brings from outside the notebook: a student name and id taken from the
LMS file name by `nmf-kit collect --pattern` (shown by the formgrader's pages), written as
markup, and a notebook title in its metadata. nbgrader's formgrader writes student ids unescaped
into its own pages' HTML and scripts (manage_students/<id>), so `collect` refuses ids holding
HTML or script syntax (`REFUSED_IDS`); names are escaped wherever the kit writes them."""

STUDENT = ("<img src=x onerror=top.nmfpwned=1> O'Brien", "mallory")
REFUSED_IDS = ["mal<b>\"'lory", 'x";top.nmfpwned=1;y="', "<svg onload=top.nmfpwned=1>", "a&amp;b", "x`y"]
ANSWERS = {}


def TRANSFORM(notebook):
    notebook.metadata["title"] = "<img src=x onerror=PWN>"
    return notebook
