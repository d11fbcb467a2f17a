"""Correct: recommend_movies with numpy argsort on the row's values."""

LOSES = []
ANSWERS = {
    "recommend_movies": """
def recommend_movies(reconstruction, user_id, movies, ratings, n=20):
    row = reconstruction.loc[user_id].to_numpy(dtype=float)
    ids = reconstruction.columns.to_numpy()
    rated = set(ratings.loc[ratings["user id"] == user_id, "movie id"].tolist())
    keep = np.array([movie not in rated for movie in ids])
    row, ids = row[keep], ids[keep]
    order = np.argsort(-row)[:n]
    lookup = dict(zip(movies["movie id"], movies["movie title"]))
    return pd.DataFrame({
        "movie id": ids[order],
        "movie title": [lookup.get(movie, "") for movie in ids[order]],
        "predicted rating": row[order],
    })
""",
}
