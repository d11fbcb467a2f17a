"""Correct: products written with np.einsum, loop with while."""

LOSES = []
ANSWERS = {
    "update_rules": """
EPS = 1e-10


def update_h(data, Z, H, eps=EPS):
    X = np.asarray(data, dtype=float)
    numerator = np.einsum("ik,ij->kj", Z, X)
    denominator = np.einsum("ik,il,lj->kj", Z, Z, H)
    return H * numerator / np.clip(denominator, eps, np.inf)


def update_z(data, Z, H, eps=EPS):
    X = np.asarray(data, dtype=float)
    numerator = np.einsum("ij,kj->ik", X, H)
    denominator = np.einsum("il,lj,kj->ik", Z, H, H)
    return Z * numerator / np.clip(denominator, eps, np.inf)
""",
    "non_negative": """
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    X = np.asarray(data, dtype=float)
    n, m = X.shape
    generator = np.random.default_rng(random_state)
    Z, H = np.abs(generator.normal(size=(n, num_components))), np.abs(generator.normal(size=(num_components, m)))
    losses, t = [((X - Z @ H) ** 2).sum()], 0
    while t < num_iterations:
        H = update_h(X, Z, H)
        Z = update_z(X, Z, H)
        losses.append(((X - Z @ H) ** 2).sum())
        t += 1
    if return_loss:
        return Z, H, losses
    return Z, H
""",
}
