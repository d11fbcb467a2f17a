"""Shared fixtures: the data the tests run on.

``NMF_HELPERS_DATA`` (CI points it at ../shared/data) gives the real
MovieLens-100k; without it the tests use the synthetic stand-in, and say so.
"""

import os
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config, items):
    if os.environ.get("NMF_KIT_NETWORK") == "1":
        return
    skip = pytest.mark.skip(reason="needs the internet; set NMF_KIT_NETWORK=1 to run")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def movielens_parent(tmp_path_factory):
    """A folder holding ml-100k/: NMF_HELPERS_DATA's, or a synthetic one."""
    from nmf_helpers.movielens import ENV_DATA

    if os.environ.get(ENV_DATA):
        return Path(os.environ[ENV_DATA])
    from nmf_helpers import write_synthetic_movielens

    parent = tmp_path_factory.mktemp("synthetic")
    write_synthetic_movielens(parent)
    print(f"tests: {ENV_DATA} is not set; using the SYNTHETIC stand-in in {parent}", file=sys.stderr)
    return parent


@pytest.fixture(scope="session")
def movielens(movielens_parent):
    from nmf_helpers import load_movielens

    return load_movielens(movielens_parent)


@pytest.fixture(scope="session")
def real_movielens(movielens):
    if movielens.synthetic:
        pytest.skip("needs the real MovieLens-100k: set NMF_HELPERS_DATA (CI does)")
    return movielens


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory):
    from nmf_helpers import load_movielens, write_synthetic_movielens

    return load_movielens(write_synthetic_movielens(tmp_path_factory.mktemp("synth")))


@pytest.fixture
def isolated_data_env(tmp_path, monkeypatch):
    """No NMF_HELPERS_DATA and an empty private cache."""
    monkeypatch.delenv("NMF_HELPERS_DATA", raising=False)
    monkeypatch.setenv("NMF_HELPERS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"
