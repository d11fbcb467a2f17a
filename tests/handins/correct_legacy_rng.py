"""Correct: the legacy RandomState generator and np.dot instead of @."""

LOSES = []
ANSWERS = {
    "non_negative": """
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    X = np.array(data, dtype=float)
    state = np.random.RandomState(random_state)
    Z = np.abs(state.randn(X.shape[0], num_components))
    H = np.abs(state.randn(num_components, X.shape[1]))
    losses = []
    for t in range(num_iterations + 1):
        if return_loss:
            losses.append(np.linalg.norm(X - np.dot(Z, H)) ** 2)
        if t == num_iterations:
            break
        H = update_h(X, Z, H)
        Z = update_z(X, Z, H)
    return (Z, H, losses) if return_loss else (Z, H)
""",
}
