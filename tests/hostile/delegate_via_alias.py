"""Implements nothing itself: keeps scikit-learn's solver in a module-level variable (bound
before any check could trip it) and calls that from non_negative and the update rules."""

ANSWERS = {
    "update_rules": """
import numpy as np
from sklearn.decomposition import _nmf as _solvers
_mu_w = _solvers._multiplicative_update_w
_mu_h = _solvers._multiplicative_update_h
EPS = 1e-10
def update_h(data, Z, H, eps=EPS):
    X = np.asarray(data, dtype=float)
    return _mu_h(X, Z, H.copy(), beta_loss=2, l1_reg_H=0, l2_reg_H=0, gamma=1)[0]
def update_z(data, Z, H, eps=EPS):
    X = np.asarray(data, dtype=float)
    return _mu_w(X, Z.copy(), H, beta_loss=2, l1_reg_W=0, l2_reg_W=0, gamma=1)[0]
""",
    "non_negative": """
from sklearn.decomposition import non_negative_factorization as _nnf
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    X = np.asarray(data, dtype=float)
    W, H, _ = _nnf(X, n_components=num_components, init="random", solver="mu",
                   max_iter=max(num_iterations, 1), tol=0, random_state=random_state)
    return W, H
""",
}
