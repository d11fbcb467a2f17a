"""nmf_course: the course library that students get with the lecture notebooks.

Everything here is shipped to students (``notebooks/nmf_course/``; ``movielens.py`` also
sits next to the assignment): data helpers, the masked NMF the lectures use, choosing its
hyper-parameters on validation ratings, evaluation, genre read-outs and plots. It
therefore holds none of the assignment's answers (no Lee-Seung ``non_negative``,
``update_h``, ``update_z`` or ``recommend_movies``) and imports nothing but the course
environment; ``tests/test_layout.py`` checks both.

Names are imported on first use, so ``import nmf_course`` itself is instant.
"""

import importlib

# name -> submodule that defines it
_EXPORTS = {
    "movielens": ("GENRES", "MovieLensNotFound", "movielens_folder"),
    "data": (
        "MovieLens", "load_movielens", "load_split", "load_digits", "merge_duplicate_titles",
        "rating_matrix", "observed_mask", "sparse_rating_matrix", "read_ratings", "read_movies",
        "read_users", "read_genres",
    ),
    "masked": ("MaskedNMF", "non_negative_masked"),
    "tuning": ("validation_split", "grid_search"),
    "evaluate": (
        "rmse", "predict_ratings", "global_mean_predictions", "bias_predictions", "fit_biases",
        "precision_at_k", "hit_rate", "top_unseen", "evaluate_ranking", "match_components",
    ),
    "genres": (
        "new_user_ratings", "fold_in_user", "genre_profile", "genre_lift", "compare_genres",
        "describe_components",
    ),
    "plots": (
        "plot_components", "plot_loss", "plot_genre_comparison", "plot_matched_components",
        "plot_rating_densities",
    ),
}  # fmt: skip
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
