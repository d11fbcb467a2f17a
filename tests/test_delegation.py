"""Reading a notebook's code for library NMF calls: certain delegation, doubt, and no false alarm."""

import pytest

from nmf_helpers.grading.delegation import analyse

IMPORTS = "import numpy as np\nfrom sklearn.decomposition import NMF\nimport sklearn\n%matplotlib inline\n"
OWN = "def update_h(data, Z, H):\n    return H * (Z.T @ data) / np.maximum(Z.T @ Z @ H, 1e-10)\n"


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        (
            "def non_negative(X, k):\n    return NMF(k).fit_transform(X), None\n",
            "non_negative uses sklearn.decomposition.NMF",
        ),
        (
            "def non_negative(X, k):\n    return sklearn.decomposition.non_negative_factorization(X)\n",
            "non_negative_factorization",
        ),
        ("def non_negative(X, k):\n    from sklearn.decomposition import _nmf\n    return _nmf\n", "imports"),
        (
            "solver = NMF\n\ndef non_negative(X, k):\n    return solver(k)\n",
            "solver is bound to sklearn.decomposition.NMF",
        ),
        (
            "def helper(X, k):\n    return NMF(k)\n\ndef non_negative(X, k):\n    return helper(X, k)\n",
            "non_negative calls helper",
        ),
        (  # the kernel runs the delegating helper; a reader would see the decoy under `if False:`
            (
                "def helper(X, k):\n    return NMF(k)\n\nif False:\n"
                "    def helper(X, k):\n        return X, X\n\n"
                "def non_negative(X, k):\n    return helper(X, k)\n"
            ),
            "non_negative calls helper, which is not defined by a plain def",
        ),
        (
            "def non_negative(X, k):\n    import nmf_helpers\n    return nmf_helpers.non_negative(X, k)\n",
            "nmf_helpers",
        ),
    ],
)
def test_calling_a_library_nmf_inside_is_certain(cell, reason):
    analysis = analyse([IMPORTS, OWN, cell])
    assert reason in analysis.delegates["non_negative"]
    assert "update_h" not in analysis.delegates


@pytest.mark.parametrize(
    ("cell", "doubt"),
    [
        (
            "def non_negative(X, k):\n    return getattr(sklearn.decomposition, 'N' + 'MF')(k)\n",
            "getattr with a computed name",
        ),
        (
            (
                "def non_negative(X, k):\n    import importlib\n"
                "    return importlib.import_module('sk' + 'learn')\n"
            ),
            "importlib",
        ),
        ("exec(open('mine.py').read())\n", "exec"),
        ("!pip install nimfa\n", "shell command"),
        ("def non_negative(X, k):\n    return globals()['N' + 'MF'](k)\n", "globals"),
    ],
)
def test_code_that_hides_what_it_calls_is_a_doubt_not_a_verdict(cell, doubt):
    analysis = analyse([IMPORTS, OWN, cell])
    assert "non_negative" not in analysis.delegates
    assert any(doubt in reason for reason in analysis.undecided), analysis.undecided


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("non_negative = lambda X, k: (X, X)\n", "not defined by a plain def"),
        ("if False:\n    def non_negative(X, k):\n        return X, X\n", "not defined by a plain def"),
        ("def make():\n    global non_negative\n    non_negative = print\n", "not defined by a plain def"),
        ("from mytools import non_negative\n", "not defined by a plain def"),
        (
            (
                "%time from sklearn.decomposition import NMF as fast\n"
                "def non_negative(X, k):\n    return fast(k)\n"
            ),
            "uses fast",
        ),
    ],
)
def test_an_implementation_a_reader_cannot_follow_fails_and_is_flagged(cell, reason):
    analysis = analyse([IMPORTS, OWN, cell])
    assert reason in analysis.delegates["non_negative"]
    assert analysis.undecided  # and the instructor is told


def test_ordinary_code_raises_no_alarm():
    cells = [
        IMPORTS,
        OWN,
        "def non_negative(X, k, NMF=None):\n    NMF = np.abs\n    return NMF(X), X\n",  # a local called NMF
        "model = NMF(10, init='random', solver='mu')\nmodel.fit(np.ones((3, 3)))\n",  # comparison outside
        "def compare(X):\n    return NMF(2).fit(X)\n",  # a helper nobody's implementation calls
        "import os\npath = os.path.join('a', 'b')\n",
        "class Timer(object, metaclass=type):\n    def __enter__(self):\n        return self\n",
        "def scaled(X, *, by=2.0):\n    return X * by\n",
    ]
    analysis = analyse(cells)
    assert analysis.delegates == {}
    assert analysis.undecided == []


def test_a_cell_that_does_not_parse_is_skipped():
    assert analyse([IMPORTS, "def non_negative(:\n", OWN]).delegates == {}
