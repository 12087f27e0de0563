"""The public operations and their results: derive, verify, compile, check, steps."""
