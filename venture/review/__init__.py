"""Expert review: pool, panel draw, conflicts, screening, assignment and blind scoring."""
