"""Bug: recommend_movies looks titles up by position (movie id - 1), which only works while
the ids are 1..N in the table's order, as in MovieLens' u.item."""

LOSES = ["test_recommend_unseen"]
ANSWERS = {
    "recommend_movies": """
def recommend_movies(reconstruction, user_id, movies, ratings, n=20):
    seen = ratings.loc[ratings["user id"] == user_id, "movie id"]
    best = reconstruction.loc[user_id].drop(seen, errors="ignore").sort_values(ascending=False).head(n)
    titles = movies["movie title"].to_numpy()
    return pd.DataFrame({"movie id": best.index, "movie title": titles[(best.index.to_numpy() - 1) % len(titles)],
                         "predicted rating": best.to_numpy()})
""",
}
