"""Bug: recommend_movies ranks the unseen movies by their mean prediction over all users
(the same list for everyone), and reports those means."""

LOSES = ["test_recommend_order", "test_recommend_user"]
ANSWERS = {
    "recommend_movies": """
def recommend_movies(reconstruction, user_id, movies, ratings, n=20):
    seen = ratings.loc[ratings["user id"] == user_id, "movie id"]
    best = reconstruction.mean(axis=0).drop(seen, errors="ignore").sort_values(ascending=False).head(n)
    titles = movies.set_index("movie id")["movie title"]
    return pd.DataFrame({"movie id": best.index, "movie title": titles.loc[best.index].to_numpy(),
                         "predicted rating": best.to_numpy()})
""",
}
