"""Delegates to scikit-learn's multiplicative updates from functions the code reader never
sees: update_h and update_z are defined inside another function and bound with `global`
(the reader only records top-level `def`s), so neither a delegation nor a doubt is found."""

ANSWERS = {
    "update_rules": """
EPS = 1e-10
def _install():
    global update_h, update_z
    from sklearn.decomposition import _nmf as solver
    def update_h(data, Z, H, eps=EPS):
        return solver._multiplicative_update_h(np.asarray(data, dtype=float), Z, H.copy(), 2, 0, 0, 1)
    def update_z(data, Z, H, eps=EPS):
        return solver._multiplicative_update_w(np.asarray(data, dtype=float), Z.copy(), H, 2, 0, 0, 1)[0]
_install()
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
