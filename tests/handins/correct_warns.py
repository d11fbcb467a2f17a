"""Correct: update_h emits a numpy RuntimeWarning (a harmless 0/0 it then cleans up), which
lands on stderr inside the test cells; warnings must not cost points."""

LOSES = []
ANSWERS = {
    "update_rules": """
import warnings

EPS = 1e-10


def update_h(data, Z, H, eps=EPS):
    X = np.asarray(data, dtype=float)
    warnings.warn("update_h: checking the denominators", RuntimeWarning)
    return H * (Z.T @ X) / np.clip(Z.T @ Z @ H, eps, None)


def update_z(data, Z, H, eps=EPS):
    X = np.asarray(data, dtype=float)
    return Z * (X @ H.T) / np.clip(Z @ H @ H.T, eps, None)
""",
}
