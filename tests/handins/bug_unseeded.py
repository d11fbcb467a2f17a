"""Bug: non_negative ignores random_state (draws its start from numpy's global generator),
so the same call gives different factors."""

LOSES = ["test_reconstruction_error"]
ANSWERS = {
    "non_negative": """
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    X = np.asarray(data, dtype=float)
    Z = np.abs(np.random.standard_normal((X.shape[0], num_components)))
    H = np.abs(np.random.standard_normal((num_components, X.shape[1])))
    losses = [np.sum((X - Z @ H) ** 2)]
    for _ in range(num_iterations):
        H = update_h(X, Z, H)
        Z = update_z(X, Z, H)
        losses.append(np.sum((X - Z @ H) ** 2))
    return (Z, H, np.array(losses)) if return_loss else (Z, H)
""",
}
