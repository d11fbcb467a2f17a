"""Verdicts decided by the grader: nbgrader plug-ins that keep the hidden checks out of the kernel.

Stock nbgrader runs hidden tests inside the student's kernel and scores a test
cell by its outputs, so a notebook that patches modules, IPython hooks or its own
outputs can forge full marks. Here:

- :class:`TrustedExecute` (nbgrader's ``Execute``) sends each cell to the kernel
  with its hidden block removed; after a test cell it decides the hidden checks
  the gradebook's copy of that cell names, in *this* process, by asking the
  kernel only for calls on fresh inputs and reading plain data back
  (:mod:`nmf_helpers.grading.student`). It also notes whether the cell's visible
  part raised (the execute reply), never what the cell displayed.
- :class:`SaveTrustedGrades` (nbgrader's ``SaveAutoGrades``) writes a test cell's
  score from those verdicts: full points when the visible part ran without an
  error and every hidden check passed, else zero. Warnings on stderr cost
  nothing; a value displayed before an error gives nothing. Notebooks whose code
  hides whether it calls a library NMF are flagged, with the reason.

They refuse to run outside ``nmf-kit autograde``, which starts the kernel in
the sandbox and gives each hand-in its seed.
"""

import json
import os
import secrets
import time
from pathlib import Path

import nbformat
from nbclient.exceptions import DeadKernelError
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import Execute, NbGraderPreprocessor, OverwriteCells

from nmf_helpers.grading import _wire as wire
from nmf_helpers.grading.student import CheckFailed, Student, answer, request

from .check_kernel import DRIVER, WIRE_SOURCE, CheckKernel, CheckKernelStudent, available

ENV_GRADER = "NMF_KIT_GRADER"  # set by nmf-kit autograde for the nbgrader it runs
ENV_SEED = "NMF_KIT_SEED"
# The outputs a notebook may stream into the grader (LimitOutputSize then keeps 10 MB of them).
STREAMED_BYTES = 32 * 2**20
ENV_VERDICTS = "NMF_KIT_VERDICTS"  # where to write the verdicts of this run (a JSON file)
NOT_UNDER_KIT = (
    "this course's hidden checks are decided by the grader outside the student's kernel, in a sandbox: "
    "grade with `nmf-kit autograde` (plain `nbgrader autograde` and the formgrader's autograde button "
    "cannot grade this assignment)."
)


def strip_hidden(source):
    """A cell's source without its hidden-tests blocks."""
    from nmf_helpers.grading import _HIDDEN

    return _HIDDEN.sub("", source).rstrip()


class GraderError(RuntimeError):
    """The grader's own code failed on a hand-in (not the hand-in's fault)."""


class KernelStudent(Student):
    """The notebook's kernel, reached through the executing preprocessor."""

    def __init__(self, executor, index):
        self.executor, self.index = executor, index

    def run(self, calls):
        nonce = secrets.token_hex(12)
        code = DRIVER.format(source=WIRE_SOURCE, request=request(calls, nonce))
        outputs, reply = self.executor.run_hidden(code, self.index)
        messages = [
            o["data"][wire.MIME]
            for o in outputs
            if o.get("output_type") == "display_data" and wire.MIME in o.get("data", {})
        ]
        asked = ", ".join(dict.fromkeys(c.name for c in calls))
        try:
            return answer(messages, nonce, len(calls))
        except wire.WireError as exc:
            if reply.get("ename") == "CellTimeoutError":
                raise CheckFailed(f"{asked} did not return within {self.executor.timeout} s.") from None
            raise CheckFailed(
                f"the grader got no readable answer from the notebook when calling {asked} ({exc}); "
                "do not change how the notebook displays its results."
            ) from None


class TrustedExecute(Execute):
    """nbgrader's Execute, with hidden checks decided here from plain data (see the module)."""

    def preprocess(self, nb, resources=None, km=None):
        if os.environ.get(ENV_GRADER) != "1" or not os.environ.get(ENV_SEED):
            raise RuntimeError(NOT_UNDER_KIT)
        self._seed = int(os.environ[ENV_SEED])
        from nmf_helpers.grading import Context

        self._context = Context(os.environ.get("NMF_HELPERS_DATA"))
        self._plan = self._test_cells(resources)
        self._fed, self._status, self._cells = [], {}, {}
        self._driving, self._driver_reply = False, {}
        self._streamed, self._cut = 0, False
        cwd = (resources or {}).get("metadata", {}).get("path") or None
        self._check = CheckKernel(cwd, self.timeout) if available() else None
        try:
            nb, resources = super().preprocess(nb, resources, km)
        except Exception as exc:  # recorded for the grader's report, then nbgrader fails the notebook
            error = type(exc).__name__ if self._status or isinstance(exc, GraderError) else "KernelStartError"
            self._write({"seed": self._seed, "error": error, "detail": str(exc)[:500]}, resources)
            raise
        finally:
            if self._check is not None:
                self._check.shutdown()
        for grade_id, names in self._plan.items():
            not_run = [
                {"check": n, "passed": False, "message": "the test cell was not run", "flags": []}
                for n in names
            ]
            self._cells.setdefault(grade_id, {"visible_ok": False, "verdicts": not_run})
        record = {"seed": self._seed, "cells": self._cells, "flags": _flags(self._cells)}
        resources["nmf_kit"] = record
        self._write(record, resources)
        return nb, resources

    def _write(self, record, resources):
        """Keep the record where the worker collects it (``NMF_KIT_VERDICTS``, per notebook)."""
        if os.environ.get(ENV_VERDICTS):
            path = os.environ[ENV_VERDICTS].format(notebook=resources["nbgrader"]["notebook"])
            Path(path).write_text(json.dumps(record, indent=1), encoding="utf-8")

    def _test_cells(self, resources):
        """{grade_id: hidden check names} of every test cell, from the gradebook's source cells."""
        from nmf_helpers.grading import checks_in_cell

        info = resources["nbgrader"]
        plan = {}
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            for cell in notebook.source_cells:
                grade = next((g for g in notebook.grade_cells if g.name == cell.name), None)
                if grade is not None and cell.name not in {s.name for s in notebook.solution_cells}:
                    plan[cell.name] = checks_in_cell(cell.source)
        return plan

    def preprocess_cell(self, cell, resources, index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        names = self._plan.get(grade_id) if cell.cell_type == "code" and grade_id not in self._cells else None
        original = cell.source
        if names is not None:
            cell.source = strip_hidden(original)  # nothing hidden ever reaches the kernel
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        finally:
            cell.source = original
        if cell.cell_type == "code" and names is None:
            self._fed.append(cell.source)  # what the check kernel runs before calling the functions
        if names is not None:
            visible_ok = self._status.get(index, "ok") == "ok"
            started = time.perf_counter()
            verdicts = self._decide(names, index)
            self._cells[grade_id] = {
                **_record(visible_ok, verdicts),
                "seconds": round(time.perf_counter() - started, 3),
            }
            cell.outputs.append(_note(visible_ok, verdicts))
        return cell, resources

    def _decide(self, names, index):
        from nmf_helpers.grading import CHECKS, decide

        notebook = KernelStudent(self, index)
        isolated = CheckKernelStudent(self._check, list(self._fed)) if self._check else notebook
        try:
            return [
                decide(name, isolated if CHECKS[name].implements else notebook, self._seed, self._context)
                for name in names
            ]
        except DeadKernelError:
            raise
        except Exception as exc:  # the grader's own failure: never scored as the student's
            raise GraderError(f"{type(exc).__name__}: {exc}") from exc

    def output(self, outs, msg, display_id, cell_index):
        """Keep an output only while the notebook's outputs so far fit :data:`STREAMED_BYTES`: a
        hand-in printing gigabytes is cut as it streams, not once it is all in memory."""
        if self._driving:  # the grader's own requests: bounded by the wire's limits
            return super().output(outs, msg, display_id, cell_index)
        self._streamed += _size(msg.get("content", {}))
        if self._streamed <= STREAMED_BYTES:
            return super().output(outs, msg, display_id, cell_index)
        if not self._cut:
            self._cut = True
            kept = STREAMED_BYTES // 2**20
            note = f"[the grader kept the notebook's first {kept} MB of output; the rest is cut]\n"
            outs.append(nbformat.v4.new_output("stream", name="stdout", text=note))
        return None

    def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        content = kwargs["execute_reply"]["content"]
        if self._driving:
            self._driver_reply = content
        else:
            self._status[kwargs["cell_index"]] = content.get("status")

    def run_hidden(self, code, index):
        """Run grader code in the kernel next to cell ``index``; return its outputs and reply."""
        real = self.nb.cells[index]
        probe = nbformat.v4.new_code_cell(code)
        self._driving, self._driver_reply = True, {}
        try:
            self.execute_cell(probe, index, store_history=False)
        finally:
            self._driving = False
            self.nb.cells[index] = real
        return probe.outputs, self._driver_reply


def _size(content):
    """About how many bytes an output message holds (its texts and data)."""
    values = [content.get("text", ""), *content.get("data", {}).values()]
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in values)


def _record(visible_ok, verdicts):
    return {"visible_ok": visible_ok, "verdicts": [v.as_dict() for v in verdicts]}


def _flags(cells):
    return sorted(
        {flag for cell in cells.values() for verdict in cell["verdicts"] for flag in verdict["flags"]}
    )


def passed(entry):
    """Whether a test cell earns its points, from its trusted record."""
    return bool(entry) and entry["visible_ok"] and all(v["passed"] for v in entry["verdicts"])


def _note(visible_ok, verdicts):
    """The output the grader adds under a test cell: what the hidden checks found."""
    lines = []
    if not visible_ok:
        lines.append("- the visible tests of this cell raised an error (see above)")
    for verdict in verdicts:
        if not verdict.passed:
            lines.append(f"- {verdict.message}")
    if not verdicts:
        text = "Grader: no hidden checks in this cell."
    elif len(lines) == (0 if visible_ok else 1):
        text = "Grader: the hidden checks of this cell passed." + ("" if visible_ok else "\n" + lines[0])
    else:
        text = "Grader: hidden checks of this cell failed:\n" + "\n".join(lines)
    return nbformat.v4.new_output("display_data", data={"text/markdown": text, "text/plain": text},
                                  metadata={"nmf_kit": "verdict"})  # fmt: skip


class OverwriteCellsInOrder(OverwriteCells):
    """nbgrader's OverwriteCells, putting a deleted graded cell back after the nearest earlier cell
    of the source that the hand-in still has (nbgrader's own assumes that cell is graded and
    fails on a notebook whose graded cells follow a plain markdown cell)."""

    def add_missing_grade_cells(self, nb, resources):
        source = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [cell.name for cell in source.source_cells]
        graded = {cell.name: cell for cell in source.grade_cells}
        solutions = {cell.name for cell in source.solution_cells}
        present = {
            c.metadata["nbgrader"]["grade_id"]: c
            for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id")
        }
        for position, name in enumerate(order):
            if name not in graded or name in present:
                continue
            self.log.warning(f"Missing grade cell {name} encountered, adding to notebook")
            cell = self.missing_cell_transform(
                source.source_cells[position], graded[name].max_score, name in solutions
            )
            cell["id"] = f"restored-{name}"[:64]
            anchor = next((present[p] for p in reversed(order[:position]) if p in present), None)
            index = 0 if anchor is None else next(i for i, c in enumerate(nb.cells) if c is anchor) + 1
            nb.cells.insert(index, cell)
            present[name] = cell
        return nb, resources


class RestoreCellMetadata(NbGraderPreprocessor):
    """Put back every graded cell's nbgrader roles (grade, solution, task, locked, points) from
    the gradebook. nbgrader's OverwriteCells restores sources and points but trusts a
    notebook's own ``solution`` and ``grade`` flags, so a hand-in could turn a hand-graded
    answer into a test cell scored by its outputs, or a test cell into an ungraded one."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            roles = {c.name: {"locked": c.locked, "cell_type": c.cell_type} for c in notebook.source_cells}
            points = {c.name: float(c.max_score) for c in notebook.grade_cells}
            solutions = {c.name for c in notebook.solution_cells}
            tasks = {c.name for c in notebook.task_cells}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            if not meta or meta.get("grade_id") not in roles:
                continue
            name = meta["grade_id"]
            meta["grade"] = name in points
            meta["solution"] = name in solutions
            meta["task"] = name in tasks
            meta["locked"] = roles[name]["locked"]
            if name in points:
                meta["points"] = points[name]
            elif "points" in meta:
                del meta["points"]
        return nb, resources


class SaveTrustedGrades(NbGraderPreprocessor):
    """nbgrader's SaveAutoGrades, scoring from the trusted record and the gradebook (see the module).

    Which cells are tests and which are answers comes from the gradebook, never from the
    notebook: a test cell gets its points when its visible part raised nothing and its
    hidden checks passed; an answer graded by hand gets nbgrader's rule (zero when
    unchanged, else waiting for a person); a graded cell the hand-in lacks gets zero.
    """

    def preprocess(self, nb, resources):
        record = resources.get("nmf_kit")
        if record is None:
            raise RuntimeError(
                "SaveTrustedGrades needs TrustedExecute earlier in the autograde preprocessors."
            )
        info = resources["nbgrader"]
        cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
        with Gradebook(info["db_url"]) as gradebook:
            submission = gradebook.find_submission_notebook(
                info["notebook"], info["assignment"], info["student"]
            )
            answers = {c.name for c in submission.notebook.solution_cells}
            for grade in submission.grades:
                if grade.name in record["cells"]:
                    grade.auto_score = float(grade.max_score) if passed(record["cells"][grade.name]) else 0.0
                elif grade.name in answers and grade.name in cells:
                    grade.auto_score = _answer_score(cells[grade.name])
                else:
                    grade.auto_score = 0.0
                grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
            flags = "; ".join(record["flags"])
            for comment in submission.comments:
                cell = cells.get(comment.name)
                if cell is None or (
                    utils.compute_checksum(cell) == cell.metadata.nbgrader.get("checksum")
                    and not utils.is_task(cell)
                ):
                    comment.auto_comment = "No response."
                elif flags and any(f"def {name}(" in cell.source for name in _implemented()):
                    comment.auto_comment = f"Flagged for the instructor: {flags}"
                else:
                    comment.auto_comment = None
            submission.flagged = bool(record["flags"])  # a clean re-grade clears an old flag
            gradebook.db.commit()
        return nb, resources


def _implemented():
    """The student's functions whose implementation the registry's checks test."""
    from nmf_helpers.grading import CHECKS

    return sorted({name for check in CHECKS.values() for name in check.implements})


def _answer_score(cell):
    """nbgrader's rule for an answer graded by hand: 0 when unchanged from the release, else None."""
    unchanged = cell.metadata.nbgrader.get("checksum") == utils.compute_checksum(cell)
    return 0.0 if unchanged else None
