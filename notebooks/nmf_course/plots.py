"""Figures for the course: basis images, loss curves, genre histograms."""

import numpy as np

__all__ = ["plot_components", "plot_genre_comparison", "plot_loss"]


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
        ax.legend()
    return ax


def plot_genre_comparison(comparison, *, ax=None, title=None):
    """Side-by-side bars of genre shares (the output of :func:`nmf_helpers.compare_genres`)."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.5))
    positions = np.arange(len(comparison))
    width = 0.8 / comparison.shape[1]
    for k, column in enumerate(comparison.columns):
        ax.bar(
            positions + (k - (comparison.shape[1] - 1) / 2) * width, comparison[column], width, label=column
        )
    ax.set_xticks(positions, comparison.index, rotation=60, ha="right")
    ax.set_ylabel("share of movies")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax
