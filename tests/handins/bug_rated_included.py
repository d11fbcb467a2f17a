"""Bug: recommend_movies keeps the movies the user already rated."""

LOSES = ["test_recommend_unseen"]
ANSWERS = {
    "recommend_movies": """
def recommend_movies(reconstruction, user_id, movies, ratings, n=20):
    best = reconstruction.loc[user_id].sort_values(ascending=False).head(n)
    titles = movies.set_index("movie id")["movie title"]
    return pd.DataFrame({"movie id": best.index, "movie title": titles.loc[best.index].to_numpy(),
                         "predicted rating": best.to_numpy()})
""",
}
