"""The rules: differentials, the canonical form <G, dX>, simplification and the
conditions under which a derivative holds."""
