"""Correct: the functions use scipy and pandas inside them (BLAS's dgemm through scipy.linalg
for the numerators, pandas to read the data, scipy.linalg.norm for the losses, a pandas merge
in recommend_movies). The course's rule is "no library NMF", not "numpy only"."""

LOSES = []
ANSWERS = {
    "update_rules": """
EPS = 1e-10


def update_h(data, Z, H, eps=EPS):
    import pandas
    from scipy.linalg import blas

    X = pandas.DataFrame(data).to_numpy(dtype=float)
    numerator = blas.dgemm(1.0, Z, X, trans_a=True)
    return H * numerator / np.clip(Z.T @ Z @ H, eps, None)


def update_z(data, Z, H, eps=EPS):
    import pandas
    from scipy.linalg import blas

    X = pandas.DataFrame(data).to_numpy(dtype=float)
    numerator = blas.dgemm(1.0, X, H, trans_b=True)
    return Z * numerator / np.clip(Z @ H @ H.T, eps, None)
""",
    "non_negative": """
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    import scipy.linalg

    X = pd.DataFrame(data).to_numpy(dtype=float)
    rng = np.random.default_rng(random_state)
    Z = np.abs(rng.standard_normal((X.shape[0], num_components)))
    H = np.abs(rng.standard_normal((num_components, X.shape[1])))
    losses = [scipy.linalg.norm(X - Z @ H) ** 2]
    for _ in range(num_iterations):
        H = update_h(X, Z, H)
        Z = update_z(X, Z, H)
        losses.append(scipy.linalg.norm(X - Z @ H) ** 2)
    return (Z, H, pd.Series(losses).to_numpy()) if return_loss else (Z, H)
""",
    "recommend_movies": """
def recommend_movies(reconstruction, user_id, movies, ratings, n=20):
    scores = reconstruction.loc[user_id].rename("predicted rating").rename_axis("movie id").reset_index()
    rated = ratings.loc[ratings["user id"] == user_id, ["movie id"]].assign(rated=True)
    table = scores.merge(rated, on="movie id", how="left")
    table = table[table["rated"].isna()].merge(movies[["movie id", "movie title"]], on="movie id")
    table = table.sort_values("predicted rating", ascending=False, kind="stable").head(n)
    return table[["movie id", "movie title", "predicted rating"]].reset_index(drop=True)
""",
}
