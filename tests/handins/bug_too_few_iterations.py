"""Bug: non_negative's default is 50 iterations, far from converged."""

LOSES = ["test_reconstruction_error"]
ANSWERS = {
    "non_negative": """
def non_negative(data, num_components, num_iterations=50, random_state=None, return_loss=False):
    X = np.asarray(data, dtype=float)
    rng = np.random.default_rng(random_state)
    Z = np.abs(rng.standard_normal((X.shape[0], num_components)))
    H = np.abs(rng.standard_normal((num_components, X.shape[1])))
    for _ in range(num_iterations):
        H = update_h(X, Z, H)
        Z = update_z(X, Z, H)
    return (Z, H, np.zeros(1)) if return_loss else (Z, H)
""",
}
