"""Held-out error of rating predictions, and the baselines to compare with."""

import numpy as np
import pandas as pd

__all__ = ["bias_predictions", "fit_biases", "global_mean_predictions", "predict_ratings", "rmse"]


def rmse(y_true, y_pred):
    """Root mean squared error between two equally long sequences of ratings."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred passed to rmse differ in shape: {y_true.shape} vs {y_pred.shape}."
        )
    if np.isnan(y_pred).any():
        raise ValueError("y_pred passed to rmse holds NaN: some (user, movie) pairs have no prediction.")
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def predict_ratings(reconstruction, pairs, *, clip=(1, 5), default=None):
    """Look up predictions for (user id, movie id) pairs in a reconstruction.

    Parameters
    ----------
    reconstruction : DataFrame indexed by user id, movie ids as columns
    pairs : DataFrame with columns 'user id' and 'movie id'
    clip : tuple or None, default=(1, 5)
        Clip the predictions to the rating scale.
    default : float, default=None
        Prediction for users or movies the reconstruction lacks; None raises.

    Returns
    -------
    predictions : ndarray of shape (len(pairs),)
    """
    rows = reconstruction.index.get_indexer(pairs["user id"])
    cols = reconstruction.columns.get_indexer(pairs["movie id"])
    unknown = (rows < 0) | (cols < 0)
    if unknown.any() and default is None:
        raise KeyError(
            f"{int(unknown.sum())} pairs passed to predict_ratings name users or movies that the "
            "reconstruction lacks; pass default= (e.g. the global mean) to predict those."
        )
    values = reconstruction.to_numpy(float)
    predictions = np.where(unknown, np.nan, values[np.maximum(rows, 0), np.maximum(cols, 0)])
    predictions[unknown] = default if default is not None else np.nan
    return np.clip(predictions, *clip) if clip else predictions


def global_mean_predictions(train, test):
    """Predict every test rating by the mean training rating."""
    return np.full(len(test), float(train["rating"].mean()))


def bias_predictions(train, test, *, l2=5.0):
    """Predict ``mean + b_user + b_movie`` with ridge-regularised biases.

    Parameters
    ----------
    train, test : DataFrame with columns 'user id', 'movie id', 'rating'
    l2 : float, default=5.0
        Ridge penalty; unknown users and movies get a bias of 0.
    """
    users = pd.Index(np.unique(train["user id"]))
    movies = pd.Index(np.unique(train["movie id"]))
    rows, cols = users.get_indexer(train["user id"]), movies.get_indexer(train["movie id"])
    mean, user_bias, movie_bias = fit_biases(
        rows, cols, train["rating"].to_numpy(float), (len(users), len(movies)), l2
    )
    t_rows, t_cols = users.get_indexer(test["user id"]), movies.get_indexer(test["movie id"])
    pred = (
        mean + np.where(t_rows >= 0, user_bias[t_rows], 0.0) + np.where(t_cols >= 0, movie_bias[t_cols], 0.0)
    )
    return np.clip(pred, 1, 5)


def fit_biases(rows, cols, values, shape, reg, n_sweeps=10):
    """Regularised user and item biases by alternating least squares."""
    n, m = shape
    mean = values.mean()
    row_bias, col_bias = np.zeros(n), np.zeros(m)
    row_count = np.bincount(rows, minlength=n)
    col_count = np.bincount(cols, minlength=m)
    for _ in range(n_sweeps):
        col_bias = np.bincount(cols, values - mean - row_bias[rows], minlength=m) / (col_count + reg)
        row_bias = np.bincount(rows, values - mean - col_bias[cols], minlength=n) / (row_count + reg)
    return mean, row_bias, col_bias
