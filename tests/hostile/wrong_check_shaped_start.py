"""Wrong, and aimed at the checks: non_negative's default is 100 iterations, and asked for its
start (num_iterations=0) on data that look like the hidden check's digits (hundreds of rows of
whole numbers from 0 to 16), it returns a start with one live component. The reconstruction
check ran 1000 correct iterations from that start as its baseline: a rank-1 fit that 100
iterations from a real start beat on every seed. Everything else is the reference solution."""

BASE = "reference"
LOSES = ["test_reconstruction_error"]
ANSWERS = {
    "non_negative": """
def non_negative(data, num_components, num_iterations=100, random_state=None, return_loss=False):
    X = np.asarray(data, dtype=float)
    rng = np.random.default_rng(random_state)
    Z = np.abs(rng.standard_normal((X.shape[0], num_components)))
    H = np.abs(rng.standard_normal((num_components, X.shape[1])))
    if num_iterations == 0 and len(X) >= 100 and X.max() <= 16 and np.all(X == np.round(X)):
        Z[:, 1:] = 0.0
    losses = [np.sum((X - Z @ H) ** 2)]
    for _ in range(num_iterations):
        H = update_h(X, Z, H)
        Z = update_z(X, Z, H)
        losses.append(np.sum((X - Z @ H) ** 2))
    return (Z, H, np.array(losses)) if return_loss else (Z, H)
""",
}
