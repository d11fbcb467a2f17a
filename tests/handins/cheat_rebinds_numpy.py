"""Cheat: rebinds numpy's checks (np.allclose, np.all, np.isfinite, np.diff) to always pass,
around update rules that are the wrong way up. The hidden tests do not use those names."""

from bug_upside_down import ANSWERS as _BUGGY
from bug_upside_down import LOSES  # noqa: F401 - the same tests are lost

ANSWERS = {
    "update_rules": """
np.allclose = lambda *args, **kwargs: True
np.all = lambda *args, **kwargs: True
np.isfinite = lambda x, *args, **kwargs: np.ones(np.shape(x), dtype=bool)
np.diff = lambda *args, **kwargs: np.zeros(1)
"""
    + _BUGGY["update_rules"],
}
