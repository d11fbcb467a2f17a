"""Figures for the course: basis images, matched components, loss curves, genre shares,
rating densities."""

import numpy as np

__all__ = [
    "plot_components",
    "plot_genre_comparison",
    "plot_loss",
    "plot_matched_components",
    "plot_rating_densities",
]

# Legends beside the axes, never over the data they explain (a legend inside can hide a curve).
OUTSIDE = {"loc": "upper left", "bbox_to_anchor": (1.01, 1), "borderaxespad": 0}


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def plot_components(H, image_shape=(8, 8), *, ncols=None, title=None, cmap="gray_r"):
    """Show each row of H as an image (the digits basis vectors).

    Parameters
    ----------
    H : array-like of shape (n_components, height * width)
    image_shape : tuple (height, width), default=(8, 8)
    ncols : int, default=None
        Images per row; None chooses a near-square grid.

    Returns
    -------
    fig : matplotlib Figure
    """
    H = np.asarray(H, dtype=float)
    if H.ndim != 2 or H.shape[1] != int(np.prod(image_shape)):
        raise ValueError(
            f"H passed to plot_components has shape {H.shape}; each row must hold {image_shape} pixels."
        )
    n = H.shape[0]
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    nrows = int(np.ceil(n / ncols))
    plt = _pyplot()
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(1.4 * ncols, 1.4 * nrows + (0.4 if title else 0)), squeeze=False
    )
    for k, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if k < n:
            ax.imshow(H[k].reshape(image_shape), cmap=cmap, interpolation="nearest")
            ax.set_title(str(k), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_loss(losses, *, ax=None, label=None, log=True):
    """Plot a loss history against the iteration (log scale by default)."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(np.arange(len(losses)), losses, label=label)
    ax.set_xlabel("iteration t")
    ax.set_ylabel(r"$\|X - Z_t H_t\|^2$")
    if log:
        ax.set_yscale("log")
    if label:
        ax.legend(**OUTSIDE)
    return ax


def plot_genre_comparison(comparison, *, ax=None, title=None, base="catalogue"):
    """Side-by-side bars of genre shares, with the catalogue's base rate as a marker.

    Parameters
    ----------
    comparison : DataFrame indexed by genre, one column per group of movies
        Shares that sum to 1 per column, e.g. from :func:`nmf_course.compare_genres`.
        All-NaN columns (a user who disliked nothing) are left out.
    ax : matplotlib Axes, default=None
    title : str, default=None
    base : str, default="catalogue"
        The column drawn as a black tick (the base rate) instead of bars; ignored if absent.

    Returns
    -------
    ax : matplotlib Axes
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.8))
    columns = [c for c in comparison.columns if c != base and comparison[c].notna().any()]
    positions = np.arange(len(comparison))
    width = 0.8 / max(len(columns), 1)
    for k, column in enumerate(columns):
        offset = (k - (len(columns) - 1) / 2) * width
        ax.bar(positions + offset, comparison[column].fillna(0), width, label=column)
    if base in comparison.columns:
        ax.scatter(
            positions,
            comparison[base],
            marker="_",
            s=400,
            color="black",
            zorder=3,
            label=f"{base} (base rate)",
        )
    ax.set_xticks(positions, comparison.index, rotation=60, ha="right")
    ax.set_ylabel("share of genre labels\n(each group sums to 1)")
    ax.legend(fontsize=8, **OUTSIDE)
    if title:
        ax.set_title(title)
    return ax


def plot_matched_components(reference, other, correlation, image_shape=(8, 8), *, labels=("ours", "other")):
    """Two sets of basis images in matched pairs, one column per pair, with their correlation.

    Parameters
    ----------
    reference, other : array-like of shape (n_components, height * width)
        ``other`` already re-ordered to line up with ``reference`` (see
        :func:`nmf_course.match_components`).
    correlation : array-like of shape (n_components,)
        Printed above each pair.
    image_shape : tuple (height, width), default=(8, 8)
    labels : tuple of two str, default=("ours", "other")

    Returns
    -------
    fig : matplotlib Figure
    """
    reference, other = np.asarray(reference, dtype=float), np.asarray(other, dtype=float)
    if reference.shape != other.shape or reference.shape[1] != int(np.prod(image_shape)):
        raise ValueError(
            f"reference and other passed to plot_matched_components have shapes {reference.shape} and "
            f"{other.shape}; both must be (n_components, {int(np.prod(image_shape))})."
        )
    n = reference.shape[0]
    plt = _pyplot()
    fig, axes = plt.subplots(2, n, figsize=(1.25 * n, 3.0), squeeze=False)
    for k in range(n):
        for row, images in enumerate((reference, other)):
            axes[row, k].imshow(images[k].reshape(image_shape), cmap="gray_r", interpolation="nearest")
            axes[row, k].set_xticks([])
            axes[row, k].set_yticks([])
        axes[0, k].set_title(f"r = {correlation[k]:.2f}", fontsize=8)
    axes[0, 0].set_ylabel(labels[0])
    axes[1, 0].set_ylabel(labels[1])
    fig.tight_layout()
    return fig


def plot_rating_densities(values, *, bins=None, ax=None, xlabel="rating"):
    """Histograms as densities on common bins, so that groups of any size compare.

    Parameters
    ----------
    values : dict of label -> array-like
        E.g. ``{"predictions": ..., "held-out ratings": ...}``.
    bins : array-like, default=None
        Common bin edges; None uses quarter-star bins from the smallest to the largest value.
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    arrays = {label: np.asarray(v, dtype=float).ravel() for label, v in values.items()}
    if bins is None:
        low = np.floor(min(a.min() for a in arrays.values()) * 4) / 4
        high = np.ceil(max(a.max() for a in arrays.values()) * 4) / 4
        bins = np.arange(low, high + 0.25, 0.25)
    for label, array in arrays.items():
        ax.hist(array, bins=bins, density=True, alpha=0.55, label=f"{label} (n = {len(array):,})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    ax.legend(fontsize=8, **OUTSIDE)
    return ax
