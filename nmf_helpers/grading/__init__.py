"""The hidden checks of the course's assignments, and how a verdict is decided.

A hidden check is a function ``check(student, rng, context)`` that asks the
student's notebook for calls (see :mod:`~nmf_helpers.grading.student`) and
raises :class:`~nmf_helpers.grading.student.CheckFailed` with a message the
student can act on. The source notebook names them in each test cell's hidden
block::

    ### BEGIN HIDDEN TESTS
    from nmf_helpers.grading import run_checks

    run_checks("update_steps", namespace=globals())
    ### END HIDDEN TESTS

When grading (``nmf-kit autograde``) that block never reaches the student's
kernel: the grader reads the names from the gradebook's copy of the source
cell and decides each check with :func:`decide`, in its own process, from
plain data the sandboxed kernel returns. ``run_checks`` itself runs only under
``nbgrader validate`` on the source notebook, where it calls the functions in
the kernel's own namespace (through the same wire format).
"""

import ast
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from . import ex08
from .student import CheckFailed, InProcessStudent

__all__ = ["CHECKS", "Check", "CheckFailed", "Context", "Verdict", "checks_in_cell", "decide", "run_checks"]


@dataclass(frozen=True)
class Check:
    """A hidden check: its function and the student's functions whose implementation it tests."""

    name: str
    function: object
    implements: tuple = ()  # its calls go to the check kernel, where no library NMF exists

    @property
    def summary(self):
        return (self.function.__doc__ or self.name).strip().splitlines()[0]


CHECKS = {
    check.name: check
    for check in (
        Check("update_steps", ex08.check_update_steps, ("update_h", "update_z")),
        Check("monotone", ex08.check_monotone, ("update_h", "update_z")),
        Check("factor_shapes", ex08.check_factor_shapes, ("non_negative",)),
        Check("zero_rows", ex08.check_zero_rows, ("non_negative",)),
        Check("iterations", ex08.check_iterations, ("non_negative",)),
        Check("reconstruction", ex08.check_reconstruction, ("non_negative",)),
        Check("rating_matrix", ex08.check_rating_matrix),
        Check("recommend_unseen", ex08.check_recommend_unseen),
        Check("recommend_order", ex08.check_recommend_order),
        Check("recommend_user", ex08.check_recommend_user),
    )
}


@dataclass
class Context:
    """What a check may need besides the student: the data set it was given."""

    data_folder: Path | None = None

    def movielens_folder(self):
        """The ``ml-100k`` folder the notebook reads (the grader passes its own to the kernel)."""
        from ..data import find_movielens

        return find_movielens(self.data_folder, download=False, allow_synthetic=False)


@dataclass
class Verdict:
    """The outcome of one hidden check for one hand-in."""

    check: str
    passed: bool
    message: str = ""
    flags: list = field(default_factory=list)  # reasons for the instructor to look

    def as_dict(self):
        return {
            "check": self.check,
            "passed": self.passed,
            "message": self.message,
            "flags": list(self.flags),
        }


def check_seed(seed, name):
    """The seed of check ``name`` for a hand-in whose seed is ``seed``."""
    return [int(seed), zlib.crc32(name.encode())]


def decide(name, student, seed, context):
    """Run hidden check ``name`` against ``student`` and return its :class:`Verdict`.

    When grading, ``student`` is the check kernel for a check that ``implements``
    functions (where no library NMF can be imported: delegation fails at run time,
    whatever its syntax) and the notebook's kernel for the others.
    """
    import numpy as np

    check = CHECKS[name]
    flags = []
    try:
        check.function(student, np.random.default_rng(check_seed(seed, name)), context)
    except CheckFailed as failure:
        return Verdict(name, False, str(failure), flags)
    except Exception as exc:  # noqa: BLE001 - an answer the check could not read; a person looks
        what = f"{type(exc).__name__}: {str(exc)[:200]}"
        return Verdict(name, False, f"the grader could not read what the notebook returned ({what}).",
                       [*flags, f"hidden check {name} stopped on {what}"])  # fmt: skip
    return Verdict(name, True, "", flags)


_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*$", re.S | re.M)


def checks_in_cell(source):
    """The check names that a test cell's hidden block passes to ``run_checks``.

    Read with :mod:`ast`, never executed. Raises ValueError for a hidden block that
    is not a ``run_checks("name", ..., namespace=globals())`` call of known checks.
    """
    names = []
    for block in _HIDDEN.findall(source):
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "run_checks":
                for arg in node.args:
                    if not isinstance(arg, ast.Constant) or arg.value not in CHECKS:
                        raise ValueError(
                            f"unknown hidden check {ast.unparse(arg)!r}; known: {', '.join(CHECKS)}"
                        )
                    names.append(arg.value)
    if _HIDDEN.search(source) and not names:
        raise ValueError("a hidden-tests block that does not call run_checks(...)")
    return names


def run_checks(*names, namespace):
    """Run hidden checks on the functions of ``namespace`` (``nbgrader validate`` of the source).

    Raises AssertionError with the first failure's message. Refuses to run while
    a notebook is being autograded: the kit's grader decides hidden checks
    outside the student's kernel, and a check run inside it could be forged.
    """
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        raise RuntimeError(
            "hidden checks are decided outside the student's kernel: grade with `nmf-kit autograde`, "
            "not with plain `nbgrader autograde`."
        )
    student = InProcessStudent(namespace)
    for name in names:
        verdict = decide(name, student, seed=0, context=Context(os.environ.get("NMF_HELPERS_DATA")))
        if not verdict.passed:
            raise AssertionError(verdict.message)
