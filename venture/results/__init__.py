"""Results: aggregation of scores, the funding line, the public notice and publication."""
