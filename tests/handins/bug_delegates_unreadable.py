"""Cheat: update_h, update_z and non_negative run scikit-learn's multiplicative updates, reached
through constructs a code reader does not follow: a module fetched from ``sys.modules`` by a
name decoded at call time, a function object built from another's code, and a class whose
``__call__`` does the work. Their results are right; the checks call them where scikit-learn
cannot be imported, so every implementation test is lost, whatever the syntax."""

LOSES = [
    "test_update_steps",
    "test_non_negative_shapes",
    "test_loss_never_increases",
    "test_zero_rows_and_columns",
    "test_reconstruction_error",
]
ANSWERS = {
    "update_rules": """
import codecs
import sys
import types

EPS = 1e-10


def _library():
    name = codecs.decode("fxyrnea.qrpbzcbfvgvba._azs", "rot13")
    if name not in sys.modules:
        __builtins__["__import__"](name) if isinstance(__builtins__, dict) else __builtins__.__import__(name)
    return sys.modules[name]


class _Updates:
    def __call__(self, which, data, Z, H):
        mu = _library()
        X = np.asarray(data, dtype=float)
        if which == "h":
            return mu._multiplicative_update_h(X, Z, H.copy(), 2, 0, 0, 1)
        return mu._multiplicative_update_w(X, Z.copy(), H, 2, 0, 0, 1)[0]


_updates = _Updates()


def _template(data, Z, H, eps=EPS):
    return _updates(WHICH, data, Z, H)


update_h = types.FunctionType(_template.__code__, {**globals(), "WHICH": "h"}, "update_h", _template.__defaults__)
update_z = types.FunctionType(_template.__code__, {**globals(), "WHICH": "z"}, "update_z", _template.__defaults__)
""",
    "non_negative": """
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    X = np.asarray(data, dtype=float)
    rng = np.random.default_rng(random_state)
    Z = np.abs(rng.standard_normal((X.shape[0], num_components)))
    H = np.abs(rng.standard_normal((num_components, X.shape[1])))
    losses = [float(np.sum((X - Z @ H) ** 2))]
    for _ in range(num_iterations):
        H = update_h(X, Z, H)
        Z = update_z(X, Z, H)
        losses.append(float(np.sum((X - Z @ H) ** 2)))
    return (Z, H, np.array(losses)) if return_loss else (Z, H)
""",
}
