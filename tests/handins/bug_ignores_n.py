"""Bug: recommend_movies always returns 20 movies, whatever n is asked for."""

LOSES = ["test_recommend_unseen"]
ANSWERS = {
    "recommend_movies": """
def recommend_movies(reconstruction, user_id, movies, ratings, n=20):
    seen = ratings.loc[ratings["user id"] == user_id, "movie id"]
    best = reconstruction.loc[user_id].drop(seen, errors="ignore").sort_values(ascending=False).head(20)
    titles = movies.set_index("movie id")["movie title"]
    return pd.DataFrame({"movie id": best.index, "movie title": titles.loc[best.index].to_numpy(),
                         "predicted rating": best.to_numpy()})
""",
}
