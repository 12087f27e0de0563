"""The expression tree (expr), its shapes and dimensions (shapes), and how constants are written
with ones (constants)."""
