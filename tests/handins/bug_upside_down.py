"""Bug: the fractions of the updates are the wrong way up."""

# The factors blow up, so every check of non_negative fails too.
LOSES = [
    "test_update_steps",
    "test_loss_never_increases",
    "test_non_negative_shapes",
    "test_zero_rows_and_columns",
    "test_reconstruction_error",
]
ANSWERS = {
    "update_rules": """
EPS = 1e-10


def update_h(data, Z, H, eps=EPS):
    X = np.asarray(data, dtype=float)
    return H * (Z.T @ Z @ H) / np.clip(Z.T @ X, eps, None)


def update_z(data, Z, H, eps=EPS):
    X = np.asarray(data, dtype=float)
    return Z * (Z @ H @ H.T) / np.clip(X @ H.T, eps, None)
""",
}
