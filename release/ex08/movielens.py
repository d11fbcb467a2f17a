"""Find MovieLens-100k on this machine, or download it once, checked and cached.

This module is shipped to students next to the assignment notebook, so it
depends on the standard library and pooch only. Where the data is looked for,
in this order:

1. the folder named by the environment variable ``NMF_HELPERS_DATA``: when it
   holds an extracted ``ml-100k/`` folder, that folder is used as it is and
   never written to; when it holds ``ml-100k.zip``, the zip is checked and
   extracted into the cache;
2. next to the notebook (the current working folder): an extracted ``ml-100k/``
   folder is used as it is, an ``ml-100k.zip`` is checked and extracted into the
   cache (this is where the exercise sheet tells you to download it);
3. the cache folder (``NMF_HELPERS_CACHE``, else the operating system's cache
   folder, e.g. ``~/.cache/nmf-course-kit`` on Linux);
4. the official ``ml-100k.zip`` from GroupLens, downloaded into the cache and
   accepted only with the pinned size and SHA-256.

MovieLens-100k may not be redistributed (see its README): do not copy it into
a repository or hand it in.
"""

import hashlib
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
SHA256 = "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229"
SIZE = 4_924_029
ENV_DATA = "NMF_HELPERS_DATA"
ENV_CACHE = "NMF_HELPERS_CACHE"

#: The 19 genre flags of u.item, in their column order.
GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip

#: The files the kit reads; the official folder holds 23 in all.
REQUIRED_FILES = ("u.data", "u.item", "u.user", "u.genre")


class MovieLensNotFound(FileNotFoundError):
    """MovieLens-100k is neither on this machine nor downloadable now."""


def cache_dir():
    """The folder where the download and its extracted copy are kept."""
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE]).expanduser()
    import pooch

    return Path(pooch.os_cache("nmf-course-kit"))


def _is_dataset(folder):
    return all((folder / name).is_file() for name in REQUIRED_FILES)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _extract(zip_path, target_parent):
    """Check the zip against the pinned hash and extract ml-100k/ atomically."""
    if os.path.getsize(zip_path) != SIZE or _sha256(zip_path) != SHA256:
        raise MovieLensNotFound(
            f"{zip_path} is not the official ml-100k.zip (size or SHA-256 differ); "
            "delete it and download it again."
        )
    target_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target_parent, prefix=".extract-") as tmp:
        with zipfile.ZipFile(zip_path) as archive:
            for member in archive.namelist():
                if member.startswith("/") or ".." in Path(member).parts:
                    raise MovieLensNotFound(f"{zip_path} holds an unsafe path: {member}")
            archive.extractall(tmp)
        target = target_parent / "ml-100k"
        if not target.exists():
            os.replace(Path(tmp) / "ml-100k", target)
    return target_parent / "ml-100k"


def _from_environment():
    folder = Path(os.environ[ENV_DATA]).expanduser()
    for candidate in (folder / "ml-100k", folder):
        if _is_dataset(candidate):
            return candidate
    if (folder / "ml-100k.zip").is_file():
        return _extract(folder / "ml-100k.zip", cache_dir())
    raise MovieLensNotFound(
        f"{ENV_DATA} is set to {str(folder)!r}, which holds neither an extracted ml-100k/ "
        f"folder (with {', '.join(REQUIRED_FILES)}) nor ml-100k.zip. Point it at the folder "
        f"that contains ml-100k/, or unset it to use the cache at {cache_dir()}."
    )


def _next_to_notebook():
    """An ``ml-100k/`` folder or ``ml-100k.zip`` in the working folder (a notebook's own), or None."""
    here = Path.cwd()
    if _is_dataset(here / "ml-100k"):
        return here / "ml-100k"
    if (here / "ml-100k.zip").is_file():
        return _extract(here / "ml-100k.zip", cache_dir())
    if (here / "ml-100k").is_dir():
        raise MovieLensNotFound(
            f"{here / 'ml-100k'} lacks some of {', '.join(REQUIRED_FILES)}: extract the whole "
            "ml-100k.zip there again (or delete the folder to use the download)."
        )
    return None


def movielens_folder(download=True):
    """Return the path of an extracted ``ml-100k`` folder, downloading it if needed.

    Parameters
    ----------
    download : bool, default=True
        Download the official zip into the cache when the data is not on
        this machine yet (needs the internet once; about 5 MB).

    Returns
    -------
    folder : pathlib.Path
        A folder holding ``u.data``, ``u.item``, ``u.user``, ``u.genre``, ...
        Looked for as the module docstring says: ``NMF_HELPERS_DATA``, next to
        the notebook, the cache, then the download.

    Raises
    ------
    MovieLensNotFound
        With what was looked at and what to do.
    """
    if os.environ.get(ENV_DATA):
        return _from_environment()
    local = _next_to_notebook()
    if local is not None:
        return local
    cached = cache_dir() / "ml-100k"
    if _is_dataset(cached):
        return cached
    if not download:
        raise MovieLensNotFound(
            f"MovieLens-100k is neither next to the notebook ({Path.cwd()}) nor in {cached}, and "
            f"download=False. Put ml-100k.zip (or its extracted ml-100k/ folder) next to the "
            f"notebook, call movielens_folder() with the internet once, or set {ENV_DATA} to a "
            "folder that holds an extracted ml-100k/."
        )
    zip_path = cache_dir() / "ml-100k.zip"
    try:
        import pooch

        pooch.retrieve(
            URL,
            known_hash=f"sha256:{SHA256}",
            fname="ml-100k.zip",
            path=cache_dir(),
            progressbar=False,
        )
    except Exception as exc:
        raise MovieLensNotFound(
            f"Could not download MovieLens-100k from {URL} ({type(exc).__name__}: {exc}). "
            f"Download ml-100k.zip by hand and put it next to the notebook ({Path.cwd()}), or set "
            f"{ENV_DATA} to a folder that holds an extracted ml-100k/."
        ) from exc
    return _extract(zip_path, cache_dir())


def clear_cache():
    """Delete the downloaded zip and its extracted copy from the cache."""
    for name in ("ml-100k", "ml-100k.zip"):
        path = cache_dir() / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
