"""Bug: a gradient step H - lr * gradient instead of the multiplicative rule; factors go negative."""

LOSES = ["test_update_steps", "test_non_negative_shapes", "test_reconstruction_error"]
ANSWERS = {
    "update_rules": """
EPS = 1e-10


def update_h(data, Z, H, eps=EPS, rate=0.01):
    X = np.asarray(data, dtype=float)
    return H - rate * (Z.T @ Z @ H - Z.T @ X)


def update_z(data, Z, H, eps=EPS, rate=0.01):
    X = np.asarray(data, dtype=float)
    return Z - rate * (Z @ H @ H.T - X @ H.T)
""",
}
