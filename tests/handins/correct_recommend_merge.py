"""Correct: recommend_movies with merge and isin, returning extra columns."""

LOSES = []
ANSWERS = {
    "recommend_movies": """
def recommend_movies(reconstruction, user_id, movies, ratings, n=20):
    predicted = reconstruction.loc[user_id].rename("predicted rating").reset_index()
    predicted.columns = ["movie id", "predicted rating"]
    rated = ratings[ratings["user id"] == user_id]["movie id"]
    unseen = predicted[~predicted["movie id"].isin(rated)]
    table = unseen.merge(movies, on="movie id", how="left")
    table = table.sort_values("predicted rating", ascending=False).head(n)
    return table[["movie id", "movie title", "predicted rating"] + [c for c in movies.columns if c not in ("movie id", "movie title")]].reset_index(drop=True)
""",
}
