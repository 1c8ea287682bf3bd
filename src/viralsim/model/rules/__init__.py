"""The model's mechanisms, one named function each, in the order ``engine.step`` calls them."""
