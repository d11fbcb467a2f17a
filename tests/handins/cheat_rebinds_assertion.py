"""Cheat: rebinds AssertionError (in the notebook and in builtins) around a recommend_movies
that keeps rated movies. `assert` raises the real AssertionError regardless, and the verdicts are decided outside the kernel."""

from bug_rated_included import ANSWERS as _BUGGY
from bug_rated_included import LOSES  # noqa: F401 - the same test is lost

ANSWERS = {
    "recommend_movies": """
import builtins
builtins.AssertionError = type("Harmless", (Exception,), {})
AssertionError = None
"""
    + _BUGGY["recommend_movies"],
}
