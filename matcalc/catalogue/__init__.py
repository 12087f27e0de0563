"""The function catalogue: every fact about each named function, one row per function."""
