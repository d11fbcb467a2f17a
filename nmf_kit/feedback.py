"""Feedback for students, without the two traps of plain ``nbgrader generate_feedback``.

- Right after autograding, the written answers and the figure cells wait for a person:
  feedback generated then shows every student at most the automatic points (12/20) with
  each written answer at 0, and nbgrader says nothing. :func:`pending_hand_grading` reads
  the gradebook, and :func:`generate_feedback` refuses while anything is pending, unless
  forced.
- nbgrader copies every file of ``autograded/<student>/<assignment>/`` into the feedback
  folder and then writes ``<notebook>.html`` there, which would replace the student's own
  export of the same name (``nmf.html``) without a word. The recorder keeps the student's
  file in ``autograded/`` as ``<notebook>.handed-in.html`` (:mod:`nmf_kit.grading.record`),
  so it reaches the feedback folder beside the page; a course recorded before that gets it
  put back here.

Every page is regenerated (nbgrader's ``--force``): nbgrader skips feedback whose
``autograded/`` copy has not changed, so hand grades entered since would not show.
"""

import shutil
from pathlib import Path

from .errors import KitError
from .grading.record import HANDED_IN
from .progress import log, step


def pending_hand_grading(course, assignment):
    """``{student: [grade ids]}`` of the answers still waiting for hand grading."""
    from .gradebook import open_gradebook

    pending = {}
    with open_gradebook(course) as gradebook:
        for submission in gradebook.assignment_submissions(assignment):
            cells = [
                grade.name
                for notebook in submission.notebooks
                for grade in notebook.grades
                if grade.needs_manual_grade
            ]
            if cells:
                pending[submission.student_id] = cells
    return dict(sorted(pending.items()))


def _shorten(names, limit=8):
    return ", ".join(names[:limit]) + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def generate_feedback(course, assignment, force=False):
    """Run ``nbgrader generate_feedback`` for ``assignment`` in ``course`` (see the module).

    Raises
    ------
    KitError
        When hand grading is pending and not ``force``.
    """
    from .runner import nbgrader

    course = Path(course)
    pending = pending_hand_grading(course, assignment)
    if pending and not force:
        cells = sorted({cell for names in pending.values() for cell in names})
        who = _shorten(list(pending))
        raise KitError(
            f"{len(pending)} hand-in(s) of {assignment} still wait for hand grading ({who}; "
            f"cells {_shorten(cells)}): their feedback would show those answers at 0. Grade them in the "
            "formgrader first, or run `nmf-kit feedback --force` to send feedback with the automatic "
            "points only."
        )
    if pending:
        log.warning(
            f"{len(pending)} hand-in(s) still wait for hand grading: their feedback shows "
            "those answers at 0 (--force)."
        )
    with step(f"nbgrader generate_feedback {assignment} (feedback/<student>/{assignment}/)"):
        nbgrader(course, "generate_feedback", assignment, "--force")
    kept = keep_handed_in_pages(course, assignment)
    if kept:
        log.info(
            f"{len(kept)} student(s) had handed in their own <notebook>.html, which the feedback page "
            f"replaces: kept beside it as <notebook>{HANDED_IN}."
        )
    return kept


def keep_handed_in_pages(course, assignment):
    """Put each student's own ``<notebook>.html`` back into the feedback folder, renamed.

    Returns the paths written.
    """
    course = Path(course)
    written = []
    for folder in sorted((course / "feedback").glob(f"*/{assignment}")):
        autograded = course / "autograded" / folder.parent.name / assignment
        for notebook in sorted(autograded.glob("*.ipynb")):
            own = autograded / f"{notebook.stem}.html"
            if own.is_file() and not own.is_symlink() and (folder / f"{notebook.stem}.html").is_file():
                target = folder / f"{notebook.stem}{HANDED_IN}"
                shutil.copyfile(own, target)
                written.append(target)
    return written
