"""Not allowed: non_negative calls the instructors' reference solution (present at grading time)."""

LOSES = ["test_non_negative_shapes", "test_zero_rows_and_columns", "test_reconstruction_error"]
ANSWERS = {
    "non_negative": """
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    import nmf_helpers
    return nmf_helpers.non_negative(data, num_components, num_iterations=num_iterations, random_state=random_state)
""",
}
