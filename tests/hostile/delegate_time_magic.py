"""Imports scikit-learn's private NMF solvers under `%time` (a magic the code reader treats as
harmless and drops, although it runs its statement in the notebook's namespace), then calls
them through that name: the reader sees a name it cannot trace to any import."""

ANSWERS = {
    "update_rules": """
%time from sklearn.decomposition import _nmf as fast
EPS = 1e-10
def update_h(data, Z, H, eps=EPS):
    return fast._multiplicative_update_h(np.asarray(data, dtype=float), Z, H.copy(), 2, 0, 0, 1)
def update_z(data, Z, H, eps=EPS):
    return fast._multiplicative_update_w(np.asarray(data, dtype=float), Z.copy(), H, 2, 0, 0, 1)[0]
""",
    "non_negative": """
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    X = np.asarray(data, dtype=float)
    rng = np.random.default_rng(random_state)
    Z = np.abs(rng.standard_normal((X.shape[0], num_components)))
    H = np.abs(rng.standard_normal((num_components, X.shape[1])))
    for _ in range(num_iterations):
        H = update_h(X, Z, H)
        Z = update_z(X, Z, H)
    return Z, H
""",
}
