"""Stories: near-duplicate detection (MinHash, LSH) so wire copies of one report share a story."""
