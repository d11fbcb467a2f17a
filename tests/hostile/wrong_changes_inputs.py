"""Wrong, not an attack on the grader: recommend_movies marks the movies a user rated by writing
NaN into the caller's reconstruction (and drops them from the row it ranks). Its answers are
right, but it changes the data it is given: the caller's reconstruction loses a user's
predictions at every call. Each hidden call got fresh inputs, so no check saw it. Everything
else is the reference solution."""

BASE = "reference"
LOSES = ["test_recommend_unseen", "test_recommend_order", "test_recommend_user"]
ANSWERS = {
    "recommend_movies": """
def recommend_movies(reconstruction, user_id, movies, ratings, n=20):
    seen = ratings.loc[ratings["user id"] == user_id, "movie id"]
    reconstruction.loc[user_id, reconstruction.columns.isin(seen)] = np.nan
    best = reconstruction.loc[user_id].dropna().sort_values(ascending=False, kind="stable").head(n)
    titles = movies.set_index("movie id")["movie title"]
    return pd.DataFrame(
        {
            "movie id": best.index,
            "movie title": titles.loc[best.index].to_numpy(),
            "predicted rating": best.to_numpy(),
        }
    )
""",
}
