"""Bug: non_negative iterates the Kullback-Leibler updates (another model) instead of calling
the Frobenius update_h and update_z."""

LOSES = ["test_reconstruction_error"]
ANSWERS = {
    "non_negative": """
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    X = np.asarray(data, dtype=float)
    rng = np.random.default_rng(random_state)
    Z = np.abs(rng.standard_normal((X.shape[0], num_components)))
    H = np.abs(rng.standard_normal((num_components, X.shape[1])))
    for _ in range(num_iterations):
        H = H * (Z.T @ (X / np.maximum(Z @ H, 1e-10))) / np.maximum(Z.sum(axis=0)[:, None], 1e-10)
        Z = Z * ((X / np.maximum(Z @ H, 1e-10)) @ H.T) / np.maximum(H.sum(axis=1)[None, :], 1e-10)
    return (Z, H, np.zeros(1)) if return_loss else (Z, H)
""",
}
