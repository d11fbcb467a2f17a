"""Correct: non_negative rescales the factors after every iteration (columns of Z to unit
maximum, rows of H the other way), which leaves Z @ H and the loss unchanged."""

LOSES = []
ANSWERS = {
    "non_negative": """
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    X = np.asarray(data, dtype=float)
    rng = np.random.default_rng(random_state)
    Z = np.abs(rng.standard_normal((X.shape[0], num_components)))
    H = np.abs(rng.standard_normal((num_components, X.shape[1])))
    losses = [np.sum((X - Z @ H) ** 2)]
    for _ in range(num_iterations):
        H = update_h(X, Z, H)
        Z = update_z(X, Z, H)
        scale = np.maximum(Z.max(axis=0), 1e-12)
        Z, H = Z / scale, H * scale[:, None]
        losses.append(np.sum((X - Z @ H) ** 2))
    return (Z, H, np.array(losses)) if return_loss else (Z, H)
""",
}
