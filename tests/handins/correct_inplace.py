"""Correct: in-place updates with out= arguments, eps added rather than clipped."""

LOSES = []
ANSWERS = {
    "update_rules": """
EPS = 1e-9


def update_h(data, Z, H, eps=EPS):
    X = data.to_numpy(dtype=float) if hasattr(data, "to_numpy") else np.asarray(data, dtype=float)
    H = H.copy()
    denominator = Z.T.dot(Z).dot(H) + eps
    H *= Z.T.dot(X)
    H /= denominator
    return H


def update_z(data, Z, H, eps=EPS):
    X = data.to_numpy(dtype=float) if hasattr(data, "to_numpy") else np.asarray(data, dtype=float)
    Z = Z.copy()
    denominator = Z.dot(H).dot(H.T) + eps
    np.multiply(Z, X.dot(H.T), out=Z)
    np.divide(Z, denominator, out=Z)
    return Z
""",
}
