"""Delegates to scikit-learn's NMF in plain sight, in cells that also hold one line of IPython
syntax (`here = %pwd`): Python's parser rejects such a cell, and the code reader skips a cell
that does not parse ("it did not run either"), although IPython ran it."""

ANSWERS = {
    "update_rules": """
here = %pwd
from sklearn.decomposition import _nmf
EPS = 1e-10
def update_h(data, Z, H, eps=EPS):
    return _nmf._multiplicative_update_h(np.asarray(data, dtype=float), Z, H.copy(), 2, 0, 0, 1)
def update_z(data, Z, H, eps=EPS):
    return _nmf._multiplicative_update_w(np.asarray(data, dtype=float), Z.copy(), H, 2, 0, 0, 1)[0]
""",
    "non_negative": """
here = %pwd
from sklearn.decomposition import non_negative_factorization
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    X = np.asarray(data, dtype=float)
    rng = np.random.default_rng(random_state)
    Z = np.abs(rng.standard_normal((X.shape[0], num_components))).astype(X.dtype)
    H = np.abs(rng.standard_normal((num_components, X.shape[1]))).astype(X.dtype)
    for _ in range(num_iterations):
        H = update_h(X, Z, H)
        Z = update_z(X, Z, H)
    return Z, H
""",
}
