"""nbgrader configuration of the NMF course (this folder is the course root).

Run nbgrader from this folder: `nbgrader generate_assignment ex08`, ...
The gradebook (gradebook.db, SQLite) is created here and never committed.
"""

from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteKernelspec,
)

from nmf_kit.grading.trusted import (
    OverwriteCellsInOrder,
    RestoreCellMetadata,
    SaveTrustedGrades,
    TrustedExecute,
)
from nmf_kit.nbgrader_plugins import HideHiddenTests, LimitOutputSize, NeutraliseActiveContent
from nmf_kit.pages import filters_config, template_basedirs

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
# nbgrader's own list with two changes: the hidden checks are decided by the grader outside
# the student's kernel (TrustedExecute) and test cells are scored from those verdicts, not
# from what the cell displayed (SaveTrustedGrades); and a cap on characters per output (a
# hand-in printing hundreds of MB must not end up in the gradebook's notebook and feedback).
# They run only under `nmf-kit autograde`; plain `nbgrader autograde` refuses, saying so.
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    RestoreCellMetadata,  # which cells are tests and answers comes from the gradebook, not the hand-in
    OverwriteCellsInOrder,  # nbgrader's OverwriteCells, putting deleted cells back wherever they were
    CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    TrustedExecute,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    LimitOutputSize,
    NeutraliseActiveContent,  # no live script from a hand-in in the formgrader or the feedback
    SaveTrustedGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

# `nmf-kit autograde` runs each hand-in's kernel in a bubblewrap sandbox (see the README's
# threat model): an unprivileged user, its own processes, no network, the environment and
# the data read-only, a private scratch folder; never the course, your home or the
# reference solutions. 'none' grades without it (a warning on every run).
c.Sandbox.tool = "bwrap"
c.Sandbox.memory = 4 * 2**30  # bytes per hand-in, its /tmp included (a cgroup, when grading as root)
c.Sandbox.processes = 256
# Wall time for a whole hand-in, every cell included (--handin-timeout overrides it).
c.Grader.handin_timeout = 600

# Pages that need no network (nmf_kit.pages): feedback and the formgrader carry their formulas
# rendered as MathML (students open feedback from disk, maybe offline); the formgrader loads
# MathJax, which its scripts need, from the Jupyter server (jupyter-server-mathjax), not a CDN.
c.GenerateFeedback.exporter_class = "nmf_kit.pages.OfflineHTMLExporter"
# Every page built from a hand-in cleans what the hand-in controls once it is rendered (markdown,
# code, outputs, prompts: an allow-list, nmf_kit.pages.clean_fragment) and carries its own
# Content-Security-Policy: the formgrader's runs only its own scripts (a per-page nonce), the
# feedback runs none. The kit's templates (templates/formgrade, templates/feedback) use these filters.
c.HTMLExporter.filters = filters_config()
c.HTMLExporter.extra_template_basedirs = template_basedirs()

# Hand-ins come from the LMS (nmf-kit collect), not through nbgrader's exchange. A course-local
# exchange folder that always exists keeps JupyterLab's nbgrader panels free of "exchange
# directory ... could not be created" warnings and "Error fetching courses!".
_exchange = Path(__file__).resolve().parent / ".nmf-kit" / "exchange"
_exchange.mkdir(parents=True, exist_ok=True)
c.Exchange.root = str(_exchange)

# Feedback shows why a test failed, never the hidden tests' code.
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, HideHiddenTests]
