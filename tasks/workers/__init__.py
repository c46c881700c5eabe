"""Worker processes: one mechanism (a pool of `python -P -m <module>` children speaking length-prefixed frames)
that the stages use to parse feeds under limits and to extract on every core."""
