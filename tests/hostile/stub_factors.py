"""Implements nothing: update_h and update_z return the factor they were given, and
non_negative returns all-zero factors of the right shapes. The loss then never increases
(it never changes), the factors are finite, non-negative and of the right shapes, and
all-zero rows and columns are "reconstructed" as zero: the checks of
test_loss_never_increases, test_non_negative_shapes and test_zero_rows_and_columns pass."""

ANSWERS = {
    "update_rules": """
EPS = 1e-10
def update_h(data, Z, H, eps=EPS):
    return H
def update_z(data, Z, H, eps=EPS):
    return Z
""",
    "non_negative": """
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    n, m = np.shape(data)
    return np.zeros((n, num_components)), np.zeros((num_components, m))
""",
}
