"""The expression tree, as one namespace: the nodes of the algebra and the builders
(ir/nodes.py) and the nodes of functions of matrices (ir/structural.py). Code reads it as
``from ..ir import expr as E``: ``E.Mul``, ``E.Trace``, ``E.add``.
"""
from __future__ import annotations

from .nodes import (
    Add, D, Differential, Expr, Hadamard, Identity, Inverse, MatPower, Mul, Number, Ones, Power,
    READERS, SCALAR, Symbol, SymbolicPower, Transpose, Zero, add, as_expr, has,
    is_scalar_chain, mul, size)
from .shapes import describe
from .structural import (
    Commutation, Det, Diag, Eig, Extremum, Func, Inner, Kron, LambdaMax, LogSumExp, MatFunc, Norm,
    PartialTrace, SingularFactor, Softmax, TopEigvec, Trace, Vec)

__all__ = ["Expr", "Symbol", "Differential", "D", "Number", "Identity", "Zero", "Ones", "Add",
           "Mul", "Hadamard", "Transpose", "Inverse", "MatPower", "SymbolicPower", "Power", "Trace",
           "Det", "Inner", "Norm", "Diag", "Softmax", "LogSumExp", "Eig", "SingularFactor",
           "LambdaMax", "TopEigvec", "Extremum", "Kron", "PartialTrace", "Vec", "Commutation",
           "MatFunc", "Func", "READERS", "SCALAR", "add", "mul", "as_expr", "has", "size",
           "is_scalar_chain", "describe"]
