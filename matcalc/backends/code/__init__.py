"""Generated code: NumPy (or jax.numpy, or torch) source for expressions and their derivatives.

    numpy_source(g)             readable source of ``def f(<sorted names>): ...``
    to_numpy(g)                 that function, compiled (positional or keyword arguments)
    to_jax(g)                   the same code against jax.numpy (jittable; JAX is optional)
    to_torch(g)                 the same code against torch, float64 (vmap-able; optional)
    compile(f, wrt, order=2)    (api/compile.py) one function returning (value, gradient,
                                Hessian), sharing every common subexpression between the three

Values follow numeric.evaluate: a vector is a 1-D array, a matrix 2-D, a scalar a
float (inside the code row and column vectors are both 1-D; a row vector that is
the result is returned (1, n), as evaluate returns it). The arguments are the symbols of the
expression, sorted by name (``sorted``: capitals first). A derivative always takes its
variable (and a Hessian-vector product its direction), whether or not the result still
contains them: the Hessian ``A^T A`` of ``1/2 ||A x - b||^2`` is ``f(A, x)``, and
``compile`` takes every symbol of f. A dimension that no argument fixes (the ``n`` of
``2 I`` for an expression) is taken from the other symbols of the function that was
differentiated. A Jacobian is returned 2-D, as by
``Jacobian.evaluate``; a Hessian with respect to a matrix is its Kronecker form.

How the code is made, in passes, one module each:

1. lowering.py: every expression becomes a sum of terms ``c F1 F2 ... Fk`` (terms.py),
   by one rule per node class of the expression tree (lowering.RULES);
2. products.py: the terms become nodes: chains associated by a cost model,
   diagonals broadcast, inverses solved, scalars placed on the smallest operand;
3. graph.py, program.py: the nodes form a hash-consed DAG of backend-neutral
   operations; a node used twice is computed once into a local; program.py writes
   the source of one function and loads it (the one module that runs code);
4. backends.py: one Backend object per library (NumPy, JAX, PyTorch) spells every operation
   that is not a Python operator, and owns the prelude, the helpers and how a
   scalar is returned;
5. generate.py: the public functions.
"""
from .backends import BACKENDS, JAX, NUMPY, TORCH, Backend
from .generate import (function, jax_source, numpy_source, require, source, to_jax, to_numpy,
                       to_torch, torch_source)
from .graph import is_matrix
from .program import Output, Program, load

__all__ = ["numpy_source", "jax_source", "torch_source", "to_numpy", "to_jax", "to_torch",
           "source", "function", "require", "Backend", "BACKENDS", "NUMPY", "JAX", "TORCH",
           "Output", "Program", "load", "is_matrix"]
