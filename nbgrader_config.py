"""nbgrader configuration of the NMF course (this folder is the course root).

Run nbgrader from this folder: `nbgrader generate_assignment ex08`, ...
The gradebook (gradebook.db, SQLite) is created here and never committed.
"""

from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    Execute,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)

from nmf_kit.nbgrader_plugins import HideHiddenTests, LimitOutputSize
from nmf_kit.pages import template_basedirs

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = "nmf-course"

# What students get in place of the solutions.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading. MovieLens cells of a slow but correct hand-in take tens of seconds:
# nbgrader's default of 30 s per cell would fail them.
c.Execute.timeout = 180
c.Execute.kernel_name = "python3"  # whatever kernel a hand-in names
c.OverwriteCells.add_missing_cells = True  # deleted grade cells are put back (nbgrader #1770)
c.Autograde.create_student = True
# nbgrader's own list, plus a cap on characters per output (a hand-in printing
# hundreds of MB must not end up in the gradebook's notebook and the feedback).
c.Autograde.autograde_preprocessors = [
    Execute,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    LimitOutputSize,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

# `nmf-kit autograde` runs each hand-in's kernel in a bubblewrap sandbox: it sees its
# own folder, the course environment and the data, not source/, other students or the
# gradebook, and has no network. 'none' grades without it (student code then runs with
# your rights; a warning on every run). Plain `nbgrader autograde` does not sandbox.
c.Sandbox.tool = "bwrap"

# Pages that need no network (nmf_kit.pages): feedback and the formgrader carry their formulas
# rendered as MathML (students open feedback from disk, maybe offline); the formgrader loads
# MathJax, which its scripts need, from the Jupyter server (jupyter-server-mathjax), not a CDN.
c.GenerateFeedback.exporter_class = "nmf_kit.pages.OfflineHTMLExporter"
c.HTMLExporter.filters = {"markdown2html": "nmf_kit.pages.markdown2html"}
c.HTMLExporter.extra_template_basedirs = template_basedirs()

# Hand-ins come from the LMS (nmf-kit collect), not through nbgrader's exchange. A course-local
# exchange folder that always exists keeps JupyterLab's nbgrader panels free of "exchange
# directory ... could not be created" warnings and "Error fetching courses!".
_exchange = Path(__file__).resolve().parent / ".nmf-kit" / "exchange"
_exchange.mkdir(parents=True, exist_ok=True)
c.Exchange.root = str(_exchange)

# Feedback shows why a test failed, never the hidden tests' code.
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, HideHiddenTests]
