"""matcalc: matrix calculus by the differential method.

>>> import matcalc as mc
>>> str(mc.gradient("log det X", wrt="X"))
'X^-T'
"""
from .api.calculus import (Derivative, DifferentialForm, Gradients, Hessian, Jacobian, Result, VerifyReport,
                       derivative, differential, gradient, hessian, hvp, jacobian)
from .api.check import CheckResult, check
from .api.compile import compile
from .backends.code import numpy_source, to_jax, to_numpy
from .rules.conditions import Condition, conditions
from .deadline import set_time_limit, time_limit
from .errors import (MatcalcError, NotDefinedError, NotDifferentiableError, ParseError,
                     ShapeError, TimeLimitError, TooLargeError, UnknownFunctionError,
                     UnsupportedError)
from .ir.expr import Expr
from .language.parser import parse
from .api.calculus import simplify

__all__ = ["compile", "numpy_source", "to_numpy", "to_jax", "check", "CheckResult", "conditions", "Condition", "parse", "gradient", "differential", "hessian", "jacobian", "derivative", "hvp",
           "simplify", "Gradients", "Hessian", "Jacobian", "Result", "Expr", "Derivative",
           "DifferentialForm", "VerifyReport", "MatcalcError", "ParseError", "ShapeError",
           "UnknownFunctionError", "UnsupportedError", "NotDifferentiableError", "NotDefinedError",
           "TooLargeError", "TimeLimitError", "set_time_limit", "time_limit"]
