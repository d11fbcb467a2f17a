"""Wrong, not an attack on the grader: rat_df holds every rating at its place and no missing
value, but its unrated cells hold the global mean rating while fill_value says 0. No check
read the unrated cells. Everything else is the reference solution."""

BASE = "reference"
LOSES = ["test_rating_matrix"]
ANSWERS = {
    "rating_matrix": """
fill_value = 0
rat_df = ratings.pivot(index="user id", columns="movie id", values="rating")
rat_df = rat_df.fillna(ratings["rating"].mean())
""",
}
