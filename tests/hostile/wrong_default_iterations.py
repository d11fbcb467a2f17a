"""Wrong, not an attack on the grader: non_negative's default is 150 iterations, far below the
1000 the exercise asks for. From the same start, 150 iterations fit the digits within 2 to 11 %
of 1000, so a check with a 5 % slack passed it on some seeds and not on others. Everything else
is the reference solution."""

BASE = "reference"  # built on the reference answers, not the release: it may keep their points
LOSES = ["test_reconstruction_error"]
ANSWERS = {
    "non_negative": """
def non_negative(data, num_components, num_iterations=150, random_state=None, return_loss=False):
    X = np.asarray(data, dtype=float)
    rng = np.random.default_rng(random_state)
    Z = np.abs(rng.standard_normal((X.shape[0], num_components)))
    H = np.abs(rng.standard_normal((num_components, X.shape[1])))
    losses = [np.sum((X - Z @ H) ** 2)]
    for _ in range(num_iterations):
        H = update_h(X, Z, H)
        Z = update_z(X, Z, H)
        losses.append(np.sum((X - Z @ H) ** 2))
    return (Z, H, np.array(losses)) if return_loss else (Z, H)
""",
}
