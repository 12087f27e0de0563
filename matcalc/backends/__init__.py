"""Readers of the tree: printing (text, LaTeX), numeric evaluation and generated code."""
