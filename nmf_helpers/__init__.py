"""nmf_helpers: the instructor side of the NMF course kit.

Reference solutions (:mod:`nmf_helpers.nmf`), data (:mod:`nmf_helpers.data`,
:mod:`nmf_helpers.movielens`, :mod:`nmf_helpers.synthetic`), recommendation
(:mod:`nmf_helpers.recommend`), evaluation (:mod:`nmf_helpers.evaluate`) and
figures (:mod:`nmf_helpers.plots`). Students never get this package: the
assignment's hidden tests import it at grading time only.
"""

from .data import (
    GENRES,
    MovieLens,
    find_movielens,
    load_digits,
    load_movielens,
    load_split,
    observed_mask,
    rating_matrix,
    sparse_rating_matrix,
    synthetic_folder,
)
from .evaluate import bias_predictions, global_mean_predictions, predict_ratings, rmse
from .movielens import MovieLensNotFound, movielens_folder
from .nmf import (
    EPSILON,
    MaskedNMF,
    kl_divergence,
    non_negative,
    non_negative_kl,
    non_negative_masked,
    squared_loss,
    update_h,
    update_z,
)
from .recommend import (
    compare_genres,
    describe_components,
    fold_in_user,
    genre_profile,
    new_user_ratings,
    recommend_movies,
)
from .synthetic import write_synthetic_movielens

__version__ = "0.1.0"

__all__ = [
    "EPSILON", "GENRES", "MaskedNMF", "MovieLens", "MovieLensNotFound", "bias_predictions", "find_movielens",
    "compare_genres", "describe_components", "fold_in_user", "genre_profile",
    "global_mean_predictions", "kl_divergence", "load_digits", "load_movielens", "load_split",
    "movielens_folder", "new_user_ratings", "non_negative", "non_negative_kl",
    "non_negative_masked", "observed_mask", "predict_ratings", "rating_matrix",
    "recommend_movies", "rmse", "sparse_rating_matrix", "squared_loss", "synthetic_folder",
    "update_h", "update_z", "write_synthetic_movielens",
]  # fmt: skip
