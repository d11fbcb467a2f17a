"""nmf_helpers: the reference library of the NMF course kit (instructors only).

The assignment's reference answers (:mod:`~nmf_helpers.nmf`: Lee-Seung ``non_negative``,
``update_h``, ``update_z``; :mod:`~nmf_helpers.recommend`: ``recommend_movies``), the kit's
data layer (the real
MovieLens-100k or a synthetic stand-in), and the hidden checks
(:mod:`nmf_helpers.grading`). Students never get this package; what they do get is
:mod:`nmf_course`, whose public names are re-exported here for convenience.

Names are imported on first use, so ``import nmf_helpers`` itself is instant.
"""

import importlib

import nmf_course

__version__ = "0.2.0"

# name -> submodule of nmf_helpers that defines it
_EXPORTS = {
    "nmf": ("EPSILON", "non_negative", "squared_loss", "update_h", "update_z"),
    "recommend": ("recommend_movies",),
    "data": ("find_movielens", "load_movielens", "load_split", "synthetic_folder"),
    "synthetic": ("write_synthetic_movielens",),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(set(_WHERE) | set(nmf_course.__all__))


def __getattr__(name):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    elif name in nmf_course.__all__:
        value = getattr(nmf_course, name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
