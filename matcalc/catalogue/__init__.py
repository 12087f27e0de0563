"""The function catalogue: every fact about each named function, one row per function.

functions.py: the elementwise rows and the lookups by name (all_names, build, latex_name);
structural.py: the names of the structural nodes (tr, det, ...) and the parser's shorthands;
domains.py: the requirements a function's domain imposes on its argument.
"""
