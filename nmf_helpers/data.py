"""Where the kit's tests, demo and benchmarks get MovieLens-100k: the real data, or the
synthetic stand-in when it cannot be had.

Students' code reads the data with :mod:`nmf_course` (which never falls back);
the kit must also run offline without the real data, and says so in one line.
"""

import os
import sys
from pathlib import Path

from nmf_course import data as _course
from nmf_course.movielens import ENV_DATA, MovieLensNotFound, cache_dir, movielens_folder

from .synthetic import write_synthetic_movielens

__all__ = ["find_movielens", "load_movielens", "load_split", "synthetic_folder"]


def synthetic_folder(parent=None, *, quiet=False, reason=None):
    """Write (once) and return the synthetic ``ml-100k`` folder.

    Parameters
    ----------
    parent : path-like, default=None
        Where to write ``ml-100k/``; None uses ``<cache>/synthetic``.
    quiet : bool, default=False
        Do not print the one-line notice.
    reason : str, default=None
        Why the real data is not used, for the notice.
    """
    parent = Path(parent) if parent is not None else cache_dir() / "synthetic"
    folder = parent / "ml-100k"
    if not (folder / "u.data").is_file():
        write_synthetic_movielens(parent)
    if not quiet:
        why = f" ({reason})" if reason else ""
        print(
            f"nmf_helpers: MovieLens-100k not available{why}; using the SYNTHETIC stand-in in {folder}.",
            file=sys.stderr,
            flush=True,
        )
    return folder


def find_movielens(folder=None, *, download=True, allow_synthetic=True):
    """The ``ml-100k`` folder to read: ``folder`` (or the one inside it); else the real
    data (see :func:`nmf_course.movielens.movielens_folder`); else, when allowed and
    ``NMF_HELPERS_DATA`` is not set, the synthetic stand-in, said in one line."""
    if folder is not None:
        folder = Path(folder)
        return folder / "ml-100k" if (folder / "ml-100k" / "u.data").is_file() else folder
    try:
        return movielens_folder(download=download)
    except MovieLensNotFound as exc:
        # A wrong NMF_HELPERS_DATA is a mistake to fix, not a reason to fall back.
        if not allow_synthetic or os.environ.get(ENV_DATA):
            raise
        cause = exc.__cause__
        reason = f"download failed: {type(cause).__name__}" if cause else "not found"
        return synthetic_folder(reason=reason)


def load_movielens(folder=None, *, download=True, allow_synthetic=True):
    """:func:`nmf_course.load_movielens`, falling back to the synthetic stand-in.

    With ``allow_synthetic`` (and ``NMF_HELPERS_DATA`` not set), data that cannot
    be found or downloaded is replaced by the synthetic set, said in one line on
    stderr.
    """
    return _course.load_movielens(find_movielens(folder, download=download, allow_synthetic=allow_synthetic))


def load_split(name, folder=None, *, download=True, allow_synthetic=True):
    """:func:`nmf_course.load_split`, falling back to the synthetic stand-in."""
    return _course.load_split(
        name, find_movielens(folder, download=download, allow_synthetic=allow_synthetic)
    )
