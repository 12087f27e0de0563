"""matcalc: matrix calculus by the differential method.

>>> import matcalc as mc
>>> str(mc.gradient("log det X", wrt="X"))
'X^-T'
"""
from .api.check import CheckResult, check
from .api.compile import compile
from .api.derive import derivative, differential, gradient, hessian, hvp, jacobian, simplify
from .api.results import (DifferentialForm, Gradient, Gradients, Hessian, HessianBlock, Hessians,
                          Jacobian, Jacobians, Result)
from .api.verification import VerifyReport
from .backends.sympy_interop import from_sympy, to_sympy
from .backends.code import jax_source, numpy_source, to_jax, to_numpy, to_torch, torch_source
from .deadline import set_time_limit, time_limit
from .errors import (MatcalcError, NotDefinedError, NotDifferentiableError, ParseError,
                     ShapeError, TimeLimitError, TooLargeError, UnknownFunctionError,
                     UnsupportedError)
from .ir.expr import Expr
from .language.parser import parse
from .rules.conditions import Condition, conditions

__version__ = "0.1.0"
"""The version, written here only: pyproject.toml reads it (tool.setuptools.dynamic)."""

__all__ = ["parse", "simplify", "gradient", "differential", "hessian", "jacobian", "derivative",
           "hvp", "check", "conditions", "compile", "numpy_source", "jax_source",
           "torch_source", "to_numpy", "to_jax", "to_torch", "to_sympy", "from_sympy",
           "Expr", "Result", "Gradient", "Gradients", "Jacobian", "Jacobians", "Hessian",
           "HessianBlock", "Hessians", "DifferentialForm",
           "VerifyReport", "CheckResult", "Condition", "MatcalcError", "ParseError",
           "ShapeError", "UnknownFunctionError", "UnsupportedError", "NotDifferentiableError",
           "NotDefinedError", "TooLargeError", "TimeLimitError", "set_time_limit", "time_limit"]
