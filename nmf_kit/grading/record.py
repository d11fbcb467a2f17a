"""Recording outcomes in the course: the only place that writes ``autograded/`` and the gradebook.

A worker grades a hand-in in a private course and returns its executed notebooks and
trusted verdicts (:class:`~nmf_kit.grading.jobs.Outcome`). The coordinator records
them here with nbgrader's API, once, without running nbgrader's ``Autograde`` again:

- ``autograded/<student>/<assignment>/`` gets what nbgrader's autograde leaves there:
  the submission's files, the source's other files over them, and the executed
  notebooks exactly as the worker wrote them (read-only, as nbgrader sets them);
- the gradebook gets the student, the submission (with its ``timestamp.txt``) and
  each notebook's scores, comments, flag and late penalty, from the very
  preprocessors the worker's nbgrader ran (:class:`~nmf_kit.grading.trusted.SaveTrustedGrades`,
  nbgrader's ``AssignLatePenalties``), so that recording and grading cannot disagree.

A hand-in that could not be graded gets a flagged zero with the reason instead.
"""

import contextlib
import json
import os
import shutil
import warnings
from pathlib import Path

import nbformat

VERDICTS = Path(".nmf-kit") / "verdicts"
_READ_ONLY = 0o444  # nbgrader's own default for what autograde writes
HANDED_IN = ".handed-in.html"  # the student's own nmf.html, beside the feedback's


class Recorder:
    """Writes the outcomes of one assignment into the course (one instance, one writer)."""

    def __init__(self, course, coursedir, assignment):
        self.course, self.coursedir, self.assignment = Path(course), coursedir, assignment
        self.db_url = coursedir.db_url

    # ------------------------------------------------------------------ graded
    def graded(self, outcome):
        """Record a graded outcome; '' or the reason recording failed."""
        try:
            with _quiet_nbgrader():
                self._graded(outcome)
        except Exception as exc:  # noqa: BLE001 - the report says it; the batch goes on
            return f"recording it in the gradebook failed: {type(exc).__name__}: {str(exc)[:300]}"
        # The verdicts and the seed they were drawn from, for the instructor (not in feedback/).
        kept = self.course / VERDICTS / self.assignment / f"{outcome.student}.json"
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(json.dumps(outcome.records, indent=1), encoding="utf-8")
        return ""

    def _graded(self, outcome):
        from nbgrader.api import Gradebook
        from nbgrader.preprocessors import AssignLatePenalties

        from .trusted import SaveTrustedGrades

        student = outcome.student
        submitted = self.course / "submitted" / student / self.assignment
        with Gradebook(self.db_url) as gradebook:
            gradebook.update_or_create_student(student)
            timestamp = self.coursedir.get_existing_timestamp(str(submitted))
            extra = {"timestamp": timestamp} if timestamp else {}
            gradebook.update_or_create_submission(self.assignment, student, **extra)
            known = {n.name for n in gradebook.find_assignment(self.assignment).notebooks}
        executed = {Path(name).stem: text for name, text in outcome.notebooks.items()}
        unknown = sorted(set(executed) - known)
        if unknown:
            raise ValueError(f"the worker graded notebooks the gradebook does not know: {unknown}")
        scorers = (
            SaveTrustedGrades(config=self.coursedir.config),
            AssignLatePenalties(config=self.coursedir.config),
        )
        for name in sorted(known):
            resources = {
                "nbgrader": {"db_url": self.db_url, "assignment": self.assignment, "notebook": name,
                             "student": student},
                # A notebook the hand-in lacks is scored from an empty record: zero for every cell.
                "nmf_kit": outcome.records.get(name, {"cells": {}, "flags": []}),
            }  # fmt: skip
            notebook = (
                nbformat.reads(executed[name], as_version=4)
                if name in executed
                else nbformat.v4.new_notebook()
            )
            for scorer in scorers:
                notebook, resources = scorer.preprocess(notebook, resources)
        self._write_folder(student, submitted, executed)

    def _write_folder(self, student, submitted, executed):
        """``autograded/<student>/<assignment>``: as nbgrader's autograde would leave it."""
        from nbgrader.utils import find_all_files

        target = self.course / "autograded" / student / self.assignment
        _remove(target)
        target.mkdir(parents=True)
        ignore = [*self.coursedir.ignore, "*.ipynb"]
        source = self.course / "source" / self.assignment
        excluded = {
            source / name
            for name in self.coursedir.config.get("Autograde", {})
            .get("exclude_overwriting", {})
            .get(self.assignment, [])
        }
        copies = [(Path(p), submitted) for p in find_all_files(str(submitted), ignore)]
        copies += [(Path(p), source) for p in find_all_files(str(source), ignore) if Path(p) not in excluded]
        # The student's own export of a notebook would be replaced, read-only, by its feedback page
        # of the same name (and an ordinary user's generate_feedback then fails): kept renamed.
        pages = {f"{name}.html" for name in executed} | {f"{p.stem}.html" for p in submitted.glob("*.ipynb")}
        for path, root in copies:
            if path.is_symlink() or not path.is_file():
                continue  # submissions hold plain files only (checked before grading); never follow one
            relative = path.relative_to(root)
            if root == submitted and str(relative) in pages:
                relative = relative.with_name(relative.stem + HANDED_IN)
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                destination.unlink()
            shutil.copyfile(path, destination)
        for name, text in executed.items():
            (target / f"{name}.ipynb").write_text(text, encoding="utf-8")
        for path in target.rglob("*"):
            if path.is_file():
                os.chmod(path, _READ_ONLY)

    # ------------------------------------------------------------------ not graded
    def failed(self, student, reason):
        """A zero, flagged, with the reason in the comments; no stale autograded copy."""
        from nbgrader.api import Gradebook

        _remove(self.course / "autograded" / student / self.assignment)
        with _quiet_nbgrader(), Gradebook(self.db_url) as gradebook:
            gradebook.update_or_create_student(student)
            submission = gradebook.update_or_create_submission(self.assignment, student)
            for notebook in submission.notebooks:
                notebook.flagged = True
                for grade in notebook.grades:
                    grade.auto_score = 0.0
                    grade.needs_manual_grade = False
                for comment in notebook.comments:
                    comment.auto_comment = f"Not graded automatically: {reason}."
            gradebook.db.commit()

    def already_graded(self, student):
        from nbgrader.api import Gradebook, MissingEntry

        if not (self.course / "autograded" / student / self.assignment).is_dir():
            return False
        with Gradebook(self.db_url) as gradebook:
            try:
                gradebook.find_submission(self.assignment, student)
            except MissingEntry:
                return False
        return True


def _remove(folder):
    """Delete an old ``autograded/`` copy (a link is never followed)."""
    if folder.is_symlink():
        folder.unlink()
    elif folder.is_dir():
        shutil.rmtree(folder)


@contextlib.contextmanager
def _quiet_nbgrader():
    """Without SQLAlchemy's warnings about nbgrader's own session use (nothing a user can act on)."""
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=SAWarning)
        yield
