"""Correct: computes in float32 throughout."""

LOSES = []
ANSWERS = {
    "update_rules": """
EPS = 1e-10


def update_h(data, Z, H, eps=EPS):
    X = np.asarray(data, dtype=np.float32)
    Z, H = Z.astype(np.float32), H.astype(np.float32)
    return H * (Z.T @ X) / np.clip(Z.T @ Z @ H, eps, None)


def update_z(data, Z, H, eps=EPS):
    X = np.asarray(data, dtype=np.float32)
    Z, H = Z.astype(np.float32), H.astype(np.float32)
    return Z * (X @ H.T) / np.clip(Z @ H @ H.T, eps, None)
""",
    "non_negative": """
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    X = np.asarray(data, dtype=np.float32)
    rng = np.random.default_rng(random_state)
    Z = np.abs(rng.standard_normal((X.shape[0], num_components))).astype(np.float32)
    H = np.abs(rng.standard_normal((num_components, X.shape[1]))).astype(np.float32)
    losses = [float(np.sum((X - Z @ H) ** 2))]
    for _ in range(num_iterations):
        H = update_h(X, Z, H)
        Z = update_z(X, Z, H)
        losses.append(float(np.sum((X - Z @ H) ** 2)))
    return (Z, H, np.array(losses)) if return_loss else (Z, H)
""",
}
