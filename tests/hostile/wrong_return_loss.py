"""Wrong, not an attack on the grader: with return_loss=True, non_negative returns the relative
error ||X - ZH|| / ||X|| of every iteration instead of the squared loss ||X - ZH||^2 its
docstring promises. The factors are right; no check read the losses. Everything else is the
reference solution."""

BASE = "reference"
LOSES = ["test_reconstruction_error"]
ANSWERS = {
    "non_negative": """
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    X = np.asarray(data, dtype=float)
    rng = np.random.default_rng(random_state)
    Z = np.abs(rng.standard_normal((X.shape[0], num_components)))
    H = np.abs(rng.standard_normal((num_components, X.shape[1])))
    losses = [np.linalg.norm(X - Z @ H) / np.linalg.norm(X)]
    for _ in range(num_iterations):
        H = update_h(X, Z, H)
        Z = update_z(X, Z, H)
        losses.append(np.linalg.norm(X - Z @ H) / np.linalg.norm(X))
    return (Z, H, np.array(losses)) if return_loss else (Z, H)
""",
}
