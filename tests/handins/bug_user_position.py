"""Bug: recommend_movies takes the row at position user_id (iloc), off by one from the user's row."""

LOSES = ["test_recommend_user"]
ANSWERS = {
    "recommend_movies": """
def recommend_movies(reconstruction, user_id, movies, ratings, n=20):
    seen = ratings.loc[ratings["user id"] == user_id, "movie id"]
    best = reconstruction.iloc[user_id].drop(seen, errors="ignore").sort_values(ascending=False).head(n)
    titles = movies.set_index("movie id")["movie title"]
    return pd.DataFrame({"movie id": best.index, "movie title": titles.loc[best.index].to_numpy(),
                         "predicted rating": best.to_numpy()})
""",
}
