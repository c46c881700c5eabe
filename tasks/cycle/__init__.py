"""The stages as the flows run them: Prefect tasks that take values and return values, one module per stage,
each a thin layer over its stage's package."""
