"""The hand-in corpus (tests/handins/*.py) and a fast way to grade a variant as the grader does.

``grade_in_process`` runs the variant's answer cells and then, in notebook order,
each test cell's visible part in the same namespace (an error fails the cell) and
its hidden checks, decided from plain data with the variant's code read for
library NMF calls, exactly as :class:`nmf_kit.grading.trusted.TrustedExecute`
decides them; it returns the grade ids that failed. The pipeline tests check,
through the real nbgrader and sandbox, that this agrees.
"""

import importlib.util
import types
from pathlib import Path

import nbformat

from nmf_helpers.grading import Context, checks_in_cell, decide
from nmf_helpers.grading.delegation import analyse
from nmf_helpers.grading.student import InProcessStudent
from nmf_kit.grading.trusted import strip_hidden
from nmf_kit.handins import function_namespace, python_source, reference_answers

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "source" / "ex08" / "nmf.ipynb"
CORPUS = Path(__file__).with_name("handins")

# Tests that need only the functions (not the MovieLens cells of the notebook).
FUNCTION_TESTS = (
    "test_update_steps", "test_non_negative_shapes", "test_loss_never_increases",
    "test_zero_rows_and_columns", "test_reconstruction_error", "test_recommend_unseen",
    "test_recommend_order", "test_recommend_user",
)  # fmt: skip


def variants(folder=CORPUS):
    """{name: module} of every hand-in file in ``folder``."""
    import sys

    found = {}
    sys.path.insert(0, str(folder))  # a variant may build on another one
    try:
        for path in sorted(folder.glob("*.py")):
            spec = importlib.util.spec_from_file_location(f"handin_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            found[path.stem] = module
    finally:
        sys.path.remove(str(folder))
    return found


def _restorable(module):
    return {name: value for name, value in vars(module).items() if not isinstance(value, types.ModuleType)}


class _Worlds:
    """numpy's and Python's names as the student's code left them, and as they were.

    In the grader the student's code runs in another process; here it shares this one,
    so the hostile variants' rebinding (``np.allclose = ...``) is put in place only while
    the student's code runs, and taken away while the checks decide.
    """

    def __init__(self):
        import builtins

        import numpy

        self.modules = (numpy, builtins)
        self.clean = [_restorable(m) for m in self.modules]
        self.student = None

    def _put(self, states):
        for module, names in zip(self.modules, states, strict=True):
            for name in set(_restorable(module)) - set(names):
                delattr(module, name)
            vars(module).update(names)

    def keep_student(self):
        self.student = [_restorable(m) for m in self.modules]
        self._put(self.clean)

    def as_student(self, action):
        self._put(self.student)
        try:
            return action()
        finally:
            self._put(self.clean)

    def restore(self):
        self._put(self.clean)


class _SeparateStudent(InProcessStudent):
    def __init__(self, namespace, worlds):
        super().__init__(namespace)
        self.worlds = worlds

    def run(self, calls):
        return self.worlds.as_student(lambda: InProcessStudent.run(self, calls))


def flags_in_process(answers_override):
    """Why the grader would flag this variant's notebook for the instructor (empty: it would not)."""
    answers = reference_answers(SOURCE) | answers_override
    cells = nbformat.read(SOURCE, as_version=4).cells
    code = [
        answers.get(c.metadata.get("nbgrader", {}).get("grade_id"), strip_hidden(c.source))
        for c in cells
        if c.cell_type == "code"
    ]
    return analyse(code).undecided


def grade_in_process(answers_override, seed=0):
    """The failed function tests of the reference answers with ``answers_override`` applied."""
    worlds = _Worlds()
    try:
        namespace = function_namespace(SOURCE, answers_override)
        worlds.keep_student()
        answers = reference_answers(SOURCE) | answers_override
        student, context = _SeparateStudent(namespace, worlds), Context()
        executed, failed = [], set()
        for cell in nbformat.read(SOURCE, as_version=4).cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.cell_type == "code":
                executed.append(answers.get(grade_id, strip_hidden(cell.source)))
            if grade_id not in FUNCTION_TESTS:
                continue
            code = compile(python_source(strip_hidden(cell.source)), grade_id, "exec")
            try:
                worlds.as_student(lambda code=code: exec(code, namespace))
            except Exception:  # noqa: BLE001 - any error fails the visible part, as in the kernel
                failed.add(grade_id)
                continue
            analysis = analyse(executed)
            verdicts = [
                decide(name, student, seed, context, analysis) for name in checks_in_cell(cell.source)
            ]
            if not all(v.passed for v in verdicts):
                failed.add(grade_id)
        return failed
    finally:
        worlds.restore()
