"""Correct: helper functions in cells the student added before the answer cells (one before
update_rules, one before non_negative); the answers call them. The grader must run the added
cells as well as the answer cells.

``ADDED_CELLS``: ``{grade_id: [cell source, ...]}``, new code cells inserted just before that
answer cell (graded in process as if they opened it)."""

LOSES = []
ADDED_CELLS = {
    "update_rules": [
        """
def clipped_ratio(numerator, denominator, eps):
    # the multiplicative factor, its denominator clipped at eps
    return numerator / np.clip(denominator, eps, None)


def as_array(data):
    return np.asarray(data, dtype=float)
"""
    ],
    "non_negative": [
        """
def random_start(shape, num_components, random_state):
    rng = np.random.default_rng(random_state)
    Z = np.abs(rng.standard_normal((shape[0], num_components)))
    return Z, np.abs(rng.standard_normal((num_components, shape[1])))


def squared_loss(X, Z, H):
    return float(np.sum((X - Z @ H) ** 2))
"""
    ],
}
ANSWERS = {
    "update_rules": """
EPS = 1e-10


def update_h(data, Z, H, eps=EPS):
    X = as_array(data)
    return H * clipped_ratio(Z.T @ X, Z.T @ Z @ H, eps)


def update_z(data, Z, H, eps=EPS):
    X = as_array(data)
    return Z * clipped_ratio(X @ H.T, Z @ H @ H.T, eps)
""",
    "non_negative": """
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    X = as_array(data)
    Z, H = random_start(X.shape, num_components, random_state)
    losses = [squared_loss(X, Z, H)]
    for _ in range(num_iterations):
        H = update_h(X, Z, H)
        Z = update_z(X, Z, H)
        losses.append(squared_loss(X, Z, H))
    return (Z, H, np.array(losses)) if return_loss else (Z, H)
""",
}
