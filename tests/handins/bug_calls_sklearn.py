"""Not allowed: non_negative calls scikit-learn's NMF instead of implementing the updates."""

LOSES = ["test_non_negative_shapes", "test_zero_rows_and_columns", "test_reconstruction_error"]
ANSWERS = {
    "non_negative": """
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    model = NMF(n_components=num_components, init="random", solver="mu", max_iter=num_iterations, random_state=random_state)
    Z = model.fit_transform(np.asarray(data, dtype=float))
    return Z, model.components_
""",
}
