"""Ships a module of its own next to the notebook (nmf_tools.py, whose update_h and update_z
call scikit-learn's private multiplicative updates) and binds the notebook's functions with
`from nmf_tools import ...`. The code reader reads only the notebook's cells:
an imported target is neither a `def` it can read nor a binding it doubts, so it finds no
delegation and raises no flag. (The hand-in's files go to the kernel's folder; nbgrader only
overwrites the course's own files, such as movielens.py.)"""

EXTRA_FILES = {
    "nmf_tools.py": '''"""My NMF helpers."""
import numpy as np
from sklearn.decomposition import _nmf


def update_h(data, Z, H, eps=1e-10):
    return _nmf._multiplicative_update_h(np.asarray(data, dtype=float), Z, H.copy(), 2, 0, 0, 1)


def update_z(data, Z, H, eps=1e-10):
    return _nmf._multiplicative_update_w(np.asarray(data, dtype=float), Z.copy(), H, 2, 0, 0, 1)[0]


def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    X = np.asarray(data, dtype=float)
    rng = np.random.default_rng(random_state)
    Z = np.abs(rng.standard_normal((X.shape[0], num_components)))
    H = np.abs(rng.standard_normal((num_components, X.shape[1])))
    for _ in range(num_iterations):
        H = update_h(X, Z, H)
        Z = update_z(X, Z, H)
    return Z, H
'''
}
ANSWERS = {
    "update_rules": """
from nmf_tools import update_h, update_z
""",
    "non_negative": """
from nmf_tools import non_negative
""",
}
