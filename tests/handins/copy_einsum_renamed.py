"""Correct, and copied: correct_einsum's code with every variable renamed, comments and blank
lines added, the two update functions swapped, and code moved between the answer cells
(non_negative now sits in the update_rules cell, update_z in the non_negative cell).
The similarity report must pair it with correct_einsum (tests/test_similarity.py)."""

LOSES = []
COPY_OF = "correct_einsum"
ANSWERS = {
    "update_rules": """
EPSILON = 1e-10  # smallest denominator


def non_negative(matrix, k, num_iterations=1000, random_state=None, return_loss=False):
    # my factorisation
    A = np.asarray(matrix, dtype=float)
    rows, cols = A.shape
    rand = np.random.default_rng(random_state)
    W, V = np.abs(rand.normal(size=(rows, k))), np.abs(rand.normal(size=(k, cols)))

    history, step = [((A - W @ V) ** 2).sum()], 0
    while step < num_iterations:
        V = update_h(A, W, V)
        W = update_z(A, W, V)
        history.append(((A - W @ V) ** 2).sum())
        step += 1
    if return_loss:
        return W, V, history
    return W, V


def update_h(data, W, V, eps=EPSILON):
    A = np.asarray(data, dtype=float)
    top = np.einsum("ik,ij->kj", W, A)
    bottom = np.einsum("ik,il,lj->kj", W, W, V)
    return V * top / np.clip(bottom, eps, np.inf)
""",
    "non_negative": """
def update_z(data, W, V, eps=EPSILON):
    # the same for the other factor
    A = np.asarray(data, dtype=float)
    top = np.einsum("ij,kj->ik", A, V)
    bottom = np.einsum("il,lj,kj->ik", W, V, V)
    return W * top / np.clip(bottom, eps, np.inf)
""",
}
