"""Bug: non_negative updates Z with the old H (both factors from the same iterate), which can
increase the loss; update_h and update_z themselves are right."""

LOSES = ["test_reconstruction_error"]
ANSWERS = {
    "non_negative": """
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    X = np.asarray(data, dtype=float)
    rng = np.random.default_rng(random_state)
    Z = np.abs(rng.standard_normal((X.shape[0], num_components)))
    H = np.abs(rng.standard_normal((num_components, X.shape[1])))
    losses = [np.sum((X - Z @ H) ** 2)]
    for _ in range(num_iterations):
        H, Z = update_h(X, Z, H), update_z(X, Z, H)
        losses.append(np.sum((X - Z @ H) ** 2))
    return (Z, H, np.array(losses)) if return_loss else (Z, H)
""",
}
