"""Correct: recommend_movies rounds the predicted ratings to two decimals for display; the movies
and their order are right (the hidden check accepts ratings within 0.006 of the user's row)."""

LOSES = []
ANSWERS = {
    "recommend_movies": """
def recommend_movies(reconstruction, user_id, movies, ratings, n=20):
    seen = ratings.loc[ratings["user id"] == user_id, "movie id"]
    predicted = reconstruction.loc[user_id].drop(seen, errors="ignore")
    best = predicted.sort_values(ascending=False, kind="stable").head(n)
    titles = movies.set_index("movie id")["movie title"]
    return pd.DataFrame(
        {
            "movie id": best.index,
            "movie title": titles.loc[best.index].to_numpy(),
            "predicted rating": best.to_numpy().round(2),
        }
    )
""",
}
