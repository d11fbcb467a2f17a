"""Choosing hyper-parameters honestly: on validation ratings carved from the training ratings.

A test set that has been used to choose a model no longer measures it. So the
training ratings are split once more: a seeded random part (10% by default) is held
out for validation, every candidate is fitted on the rest and scored on it, and only
the chosen candidate ever meets the test set, once. The functions here only see the
ratings they are given; they read no files.
"""

import itertools
import numbers
import time

import numpy as np
import pandas as pd

from .evaluate import rmse

__all__ = ["grid_search", "validation_split"]


def validation_split(ratings, *, fraction=0.1, random_state=0):
    """Hold out a random part of the training ratings for validation.

    Parameters
    ----------
    ratings : DataFrame with columns 'user id', 'movie id', 'rating'
        The training ratings (e.g. ``u1.base``), never the test ratings.
    fraction : float, default=0.1
        Share of the ratings held out, strictly between 0 and 1.
    random_state : int, default=0
        Seed of the split: the same seed gives the same split.

    Returns
    -------
    fit, validation : DataFrame
        Disjoint parts of ``ratings`` (original index kept) that together are all of it.
    """
    _check_ratings(ratings, "validation_split")
    if (
        isinstance(fraction, (bool, np.bool_))
        or not isinstance(fraction, numbers.Real)
        or not 0 < fraction < 1
    ):
        raise ValueError(f"fraction passed to validation_split must be a number in (0, 1), got {fraction!r}.")
    held_out = np.random.default_rng(random_state).random(len(ratings)) < fraction
    return ratings[~held_out], ratings[held_out]


def grid_search(ratings, fit_predict, grid, *, fraction=0.1, random_state=0):
    """Score every combination of hyper-parameters on a validation split of ``ratings``.

    Parameters
    ----------
    ratings : DataFrame with columns 'user id', 'movie id', 'rating'
        The training ratings only; the validation ratings are carved from them
        with :func:`validation_split`.
    fit_predict : callable
        ``fit_predict(fit, pairs, **params)`` fits a model on the DataFrame ``fit``
        and returns one predicted rating per row of ``pairs`` (a DataFrame with
        'user id' and 'movie id').
    grid : dict of str to list
        Candidate values per hyper-parameter; every combination is tried.
    fraction, random_state
        As in :func:`validation_split`.

    Returns
    -------
    results : DataFrame
        One row per combination, best first: the hyper-parameters, 'validation rmse'
        and 'seconds' (fit and predict).
    """
    _check_ratings(ratings, "grid_search")
    if not isinstance(grid, dict) or not grid or any(len(list(v)) == 0 for v in grid.values()):
        raise ValueError("grid passed to grid_search must be a non-empty dict of non-empty lists of values.")
    fit, validation = validation_split(ratings, fraction=fraction, random_state=random_state)
    pairs = validation[["user id", "movie id"]].reset_index(drop=True)
    truth = validation["rating"].to_numpy(float)
    names = list(grid)
    rows = []
    for values in itertools.product(*(list(grid[name]) for name in names)):
        params = dict(zip(names, values, strict=True))
        start = time.perf_counter()
        predictions = np.asarray(fit_predict(fit, pairs, **params), dtype=float)
        seconds = time.perf_counter() - start
        if predictions.shape != truth.shape:
            raise ValueError(
                f"fit_predict passed to grid_search returned {predictions.shape[0]} predictions "
                f"for {truth.shape[0]} validation pairs (params {params})."
            )
        rows.append({**params, "validation rmse": rmse(truth, predictions), "seconds": seconds})
    return pd.DataFrame(rows).sort_values("validation rmse", kind="stable").reset_index(drop=True)


def _check_ratings(ratings, caller):
    if not isinstance(ratings, pd.DataFrame) or not {"user id", "movie id", "rating"} <= set(ratings.columns):
        raise TypeError(
            f"ratings passed to {caller} must be a DataFrame with columns 'user id', 'movie id' and "
            "'rating' (the training ratings, e.g. from load_split)."
        )
    if len(ratings) < 2:
        raise ValueError(f"ratings passed to {caller} must hold at least 2 ratings, got {len(ratings)}.")
