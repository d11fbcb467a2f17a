"""The hand-in corpus (tests/handins/*.py) and a fast way to grade a variant as the grader does.

``grade_in_process`` runs the variant's answer cells and then, in notebook order,
each test cell's visible part in the same namespace (an error fails the cell) and
its hidden checks, decided from plain data as :class:`nmf_kit.grading.trusted.TrustedExecute`
decides them: the checks of an implementation call the functions in a fresh Python that can
import only what the check kernel can (:class:`IsolatedStudent`), the others in this
namespace; it returns the grade ids that failed. The pipeline tests check, through the
real nbgrader and sandbox, that this agrees.
"""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import nbformat

from nmf_helpers.grading import CHECKS, Context, _wire, checks_in_cell, decide
from nmf_helpers.grading.student import InProcessStudent, Student, answer, request
from nmf_kit.grading import sandbox
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


# The check kernel's Python, without the sandbox: -S keeps site-packages off sys.path, and a
# folder of links to the allowed packages (the sandbox's own list) is put on it instead.
_SERVER = """
import ast, json, sys
sys.path.append(sys.argv[1])
wire = {"__name__": "nmf_kit_wire"}
exec(compile(open(sys.argv[2]).read(), "<wire>", "exec"), wire)
namespace = {"__name__": "__main__"}
out = sys.stdout
sys.stdout = sys.stderr  # what the student's code prints is not an answer
for source in json.loads(sys.stdin.readline()):
    for node in ast.parse(source).body:  # statement by statement, as the check kernel runs cells
        try:
            exec(compile(ast.Module([node], []), "<cell>", "exec"), namespace)
        except BaseException:
            pass
for line in sys.stdin:
    shown = []
    wire["serve"](line.strip(), namespace, lambda data, raw=True: shown.append(data[wire["MIME"]]))
    out.write(json.dumps(shown) + "\\n")
    out.flush()
"""


def _allowed_folder():
    """A folder of links to the packages the check kernel may import."""
    folder = Path(tempfile.mkdtemp(prefix="nmf-kit-allowed-"))
    trees = [b for b, _ in sandbox._read_only(None)[0]]
    for path, _ in sandbox.allowed_packages(trees)[1]:
        os.symlink(path, folder / Path(path).name)
    return folder


class IsolatedStudent(Student):
    """The variant's functions as the check kernel holds them: a fresh Python that can import
    the standard library, numpy, scipy and pandas only, fed the notebook's cells before the test."""

    _allowed = None

    def __init__(self, cells):
        if IsolatedStudent._allowed is None:
            IsolatedStudent._allowed = _allowed_folder()
        self.process = subprocess.Popen(
            [sys.executable, "-S", "-s", "-E", "-c", _SERVER, str(self._allowed), _wire.__file__],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=SOURCE.parent,
        )  # fmt: skip
        self.process.stdin.write(json.dumps([python_source(c) for c in cells]) + "\n")

    def run(self, calls):
        nonce = __import__("secrets").token_hex(8)
        self.process.stdin.write(request(calls, nonce) + "\n")
        self.process.stdin.flush()
        return answer(json.loads(self.process.stdout.readline()), nonce, len(calls))

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def grade_in_process(answers_override, seed=0):
    """The failed function tests of the reference answers with ``answers_override`` applied."""
    worlds = _Worlds()
    try:
        namespace = function_namespace(SOURCE, answers_override)
        worlds.keep_student()
        answers = reference_answers(SOURCE) | answers_override
        student, context = _SeparateStudent(namespace, worlds), Context()
        executed, failed, isolated = [], set(), None
        for cell in nbformat.read(SOURCE, as_version=4).cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and not (meta.get("grade") and not meta.get("solution")):
                executed.append(answers.get(grade_id, strip_hidden(cell.source)))  # test cells are not fed
            if grade_id not in FUNCTION_TESTS:
                continue
            code = compile(python_source(strip_hidden(cell.source)), grade_id, "exec")
            try:
                worlds.as_student(lambda code=code: exec(code, namespace))
            except Exception:  # noqa: BLE001 - any error fails the visible part, as in the kernel
                failed.add(grade_id)
                continue
            names = checks_in_cell(cell.source)
            if isolated is None and any(CHECKS[n].implements for n in names):
                isolated = IsolatedStudent(executed)  # the check kernel, fed the cells so far
            verdicts = [
                decide(name, isolated if CHECKS[name].implements else student, seed, context)
                for name in names
            ]
            if not all(v.passed for v in verdicts):
                failed.add(grade_id)
        return failed
    finally:
        worlds.restore()
        if isolated is not None:
            isolated.close()
