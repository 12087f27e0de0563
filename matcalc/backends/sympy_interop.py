"""SymPy interop: matcalc expressions as SymPy matrix expressions and back.

    to_sympy(e)      an Expr, its text, or a result (its expression) as a SymPy expression
    from_sympy(s)    a SymPy matrix or scalar expression as an Expr, where the language can
                     say it; UnsupportedError naming the SymPy class otherwise

The correspondence: a symbol is a ``MatrixSymbol`` (a scalar a ``Symbol``, real), a named
dimension a positive integer ``Symbol``; ``+``, products, ``^T``, ``^-1``, ``X^k``, ``.*``,
``kron``, ``tr``, ``det``, ``I``, ``0``, ``1`` are ``MatAdd``, ``MatMul``, ``Transpose``,
``Inverse``, ``MatPow``, ``HadamardProduct``, ``KroneckerProduct``, ``Trace``,
``Determinant``, ``Identity``, ``ZeroMatrix``, ``OneMatrix``; ``diag`` of a vector is
``DiagMatrix``, of a matrix ``DiagonalOf``; an elementwise power ``HadamardPower``; a
function of a vector or matrix ``applyfunc`` (an ``ElementwiseApplyFunction``) of the
catalogue row's SymPy definition. A scalar that is a product of matrices (``x^T A x``) is
its trace, ``Trace(x.T*A*x)``, so that it mixes with other scalars as SymPy requires; so
``<A, B>`` is ``Trace(A.T*B)``, ``||x||`` is ``sqrt(Trace(x.T*x))``, ``softmax(u)`` and
``logsumexp(u)`` are written with ``exp`` and ``OneMatrix``. Reading back, the trace of a
1 x 1 product is the product, and the dimension n as a scalar is ``tr(I_n)``.
"""
from __future__ import annotations

from functools import reduce
from operator import add, mul

from ..catalogue.functions import ELEMENTWISE, SYMPY_TO_NAME
from ..errors import MatcalcError, UnsupportedError
from ..ir import expr as E
from ..ir.constants import dimension, ones_of
from ..ir.shapes import dim_product, factors_of
from ..language.parser import parse
from ..lazy import sympy

__all__ = ["to_sympy", "from_sympy"]


def to_sympy(obj):
    """The SymPy expression of an Expr, of its text, or of a result (gradient(), ...)."""
    if isinstance(obj, str):
        obj = parse(obj)
    if not isinstance(obj, E.Expr) and hasattr(obj, "expr") and hasattr(obj, "wrt"):
        if obj.expr is None:
            raise MatcalcError("this result has no closed form to convert (a Hessian with "
                               "respect to a matrix without a Kronecker form): convert "
                               "mc.hvp(...) instead")
        obj = obj.expr
    if not isinstance(obj, E.Expr):
        raise MatcalcError(f"cannot convert {type(obj).__name__} to SymPy: pass an expression, "
                           "its text, or one result of gradient(), hessian(), jacobian(), ...")
    return _sympy(obj)


def sympy_dim(d):
    """A dimension as SymPy: an int, or positive integer Symbols (multiplied for m*n)."""
    if isinstance(d, int):
        return sympy.Integer(d)
    if isinstance(d, str):
        return reduce(mul, [sympy.Integer(f) if isinstance(f, int) else
                            sympy.Symbol(f, integer=True, positive=True) for f in factors_of(d)])
    raise UnsupportedError(f"cannot convert the dimension {d!r} to SymPy")


def _ones_row(n):
    return sympy.OneMatrix(1, sympy_dim(n))


def _scalar(matrix):
    """A 1 x 1 matrix expression as the SymPy scalar it stands for: its trace."""
    return sympy.Trace(matrix)


def _function(name):
    return ELEMENTWISE[name].sympy.function()


def _sympy(e: E.Expr):
    """The SymPy expression of e (a scalar for a 1 x 1 e)."""
    scalar = e.is_scalar
    match e:
        case E.Symbol(name, dims):
            if scalar:
                return sympy.Symbol(name, real=True)
            return sympy.MatrixSymbol(name, sympy_dim(dims[0]), sympy_dim(dims[1]))
        case E.Number(value):
            return value
        case E.Identity(n):
            return sympy.Integer(1) if scalar else sympy.Identity(sympy_dim(n))
        case E.Zero(dims):
            return sympy.Integer(0) if scalar else sympy.ZeroMatrix(*map(sympy_dim, dims))
        case E.Ones(dims):
            return sympy.Integer(1) if scalar else sympy.OneMatrix(*map(sympy_dim, dims))
        case E.Add(terms):
            return reduce(add, map(_sympy, terms))
        case E.Mul(factors):
            scalars = [_sympy(f) for f in factors if f.is_scalar]
            chain = [_sympy(f) for f in factors if not f.is_scalar]
            product = reduce(mul, chain) if chain else sympy.Integer(1)
            return reduce(mul, scalars, _scalar(product) if chain and scalar else product)
        case E.Hadamard(left, right):
            a, b = _sympy(left), _sympy(right)
            return a * b if scalar else sympy.HadamardProduct(a, b)
        case E.Transpose(arg):
            return _sympy(arg) if scalar else sympy.Transpose(_sympy(arg))
        case E.Inverse(arg):
            return 1 / _sympy(arg) if scalar else sympy.Inverse(_sympy(arg))
        case E.MatPower(base, k):
            return _sympy(base) ** k if scalar else sympy.MatPow(_sympy(base), k)
        case E.Power(base, exponent):
            if base.is_scalar:
                return _sympy(base) ** _sympy(exponent)
            return sympy.HadamardPower(_sympy(base), _sympy(exponent))
        case E.Trace(arg):
            return _sympy(arg) if scalar and arg.is_scalar else sympy.Trace(_sympy(arg))
        case E.Det(arg):
            return _sympy(arg) if arg.is_scalar else sympy.Determinant(_sympy(arg))
        case E.Inner(left, right):
            if left.is_scalar:
                return _sympy(left) * _sympy(right)
            return _scalar(sympy.Transpose(_sympy(left)) * _sympy(right))
        case E.Norm(arg) if e.kind == "euclid":
            return sympy.sqrt(_sympy(E.Inner(arg, arg)))
        case E.Norm(arg) if e.kind == "l1" and arg.shape[1] == 1:
            return _scalar(_ones_row(arg.shape[0]) * _sympy(E.Func("abs", arg)))
        case E.Diag(arg):
            if arg.is_scalar:
                return _sympy(arg)
            return sympy.DiagMatrix(_sympy(arg)) if e.builds_matrix else \
                sympy.DiagonalOf(_sympy(arg))
        case E.Softmax(arg):
            w = _sympy(arg).applyfunc(sympy.exp)
            return w / _scalar(_ones_row(arg.shape[0]) * w)
        case E.LogSumExp(arg):
            return sympy.log(_scalar(_ones_row(arg.shape[0]) * _sympy(arg).applyfunc(sympy.exp)))
        case E.Kron(left, right):
            if left.is_scalar or right.is_scalar:
                return _sympy(left) * _sympy(right)
            return sympy.KroneckerProduct(_sympy(left), _sympy(right))
        case E.Func(name, arg):
            f = _function(name)
            return f(_sympy(arg)) if arg.is_scalar else _sympy(arg).applyfunc(f)
    raise UnsupportedError(f"SymPy's matrix expressions have no counterpart of {_what(e)}")


def _what(e: E.Expr) -> str:
    if isinstance(e, E.Norm):
        return f"the norm in {e} (only ||.||, ||.||_2 of a vector, ||.||_F and ||v||_1 convert)"
    return f"{type(e).__name__} (in {e})"


# ---- from SymPy ---------------------------------------------------------------------------

def from_sympy(s) -> E.Expr:
    """The Expr of a SymPy expression (matrix or scalar), where matcalc's language says it."""
    if isinstance(s, (int, float)):
        return E.Number(s)
    if not isinstance(s, sympy.Basic):
        raise MatcalcError(f"from_sympy takes a SymPy expression, not {type(s).__name__}")
    dims = {str(d) for m in s.atoms(sympy.MatrixSymbol) for d in m.shape
            if isinstance(d, sympy.Symbol)}
    return _Reader(dims).read(s)


def matcalc_dim(d):
    """A SymPy dimension as matcalc's: an int, a name, or a product of names 'm*n'."""
    if d.is_Integer:
        return int(d)
    if isinstance(d, sympy.Symbol):
        return d.name
    if isinstance(d, sympy.Mul) and all(f.is_Integer or isinstance(f, sympy.Symbol)
                                        for f in d.args):
        return dim_product(*map(matcalc_dim, d.args))
    raise UnsupportedError(f"matcalc has no dimension {d}: a dimension is a number, a name "
                           "or a product of names")


class _Reader:
    """SymPy -> Expr, one method per SymPy class (looked up along the class's MRO)."""

    def __init__(self, dims):
        self.dims = dims       # names of dimensions: as scalars they are tr(I_n)

    def read(self, s) -> E.Expr:
        for cls in type(s).__mro__:
            method = getattr(self, "read_" + cls.__name__, None)
            if method is not None:
                return method(s)
        function = self.function_name(s)
        if function is not None:
            (arg,) = s.args
            return E.Func(function, self.read(arg))
        raise UnsupportedError(f"matcalc's language has no counterpart of SymPy's "
                               f"{type(s).__name__} (in {s})")

    @staticmethod
    def function_name(s):
        """The catalogue's name of a SymPy function application, or None."""
        if not isinstance(s, sympy.Function) or len(s.args) != 1:
            return None
        cls = type(s)
        return SYMPY_TO_NAME.get(cls)

    def read_MatrixSymbol(self, s):
        return E.Symbol(s.name, tuple(map(matcalc_dim, s.shape)))

    def read_Symbol(self, s):
        return dimension(s.name) if s.name in self.dims else E.Symbol(s.name, (1, 1))

    def read_Rational(self, s):
        return E.Number(s)

    def read_Float(self, s):
        return E.Number(float(s))

    def read_Exp1(self, s):
        return E.Func("exp", E.Number(1))

    def read_Add(self, s):
        return E.add(*map(self.read, s.args))

    read_MatAdd = read_Add

    def read_Mul(self, s):
        return E.mul(*map(self.read, s.args))

    read_MatMul = read_Mul

    def read_Pow(self, s):
        base, exponent = s.args
        if exponent == sympy.Rational(1, 2):
            return E.Func("sqrt", self.read(base))
        return E.Power(self.read(base), self.read(exponent))

    def read_MatPow(self, s):
        base, k = s.args
        if not k.is_Integer:
            raise UnsupportedError(f"matcalc has integer powers of a matrix only, not {s}")
        return self.inverse(base) if k == -1 else E.MatPower(self.read(base), int(k))

    def read_HadamardPower(self, s):
        return E.Power(*map(self.read, s.args))

    def read_Transpose(self, s):
        return E.Transpose(self.read(s.arg))

    def read_Inverse(self, s):
        return self.inverse(s.arg)

    def inverse(self, s):
        """(X^T)^-1, as SymPy writes X^-T, is X^-T."""
        if isinstance(s, sympy.Transpose):
            return E.Transpose(E.Inverse(self.read(s.arg)))
        return E.Inverse(self.read(s))

    def read_Trace(self, s):
        arg = self.read(s.arg)
        return arg if arg.is_scalar else E.Trace(arg)

    def read_Determinant(self, s):
        return E.Det(self.read(s.arg))

    def read_HadamardProduct(self, s):
        return reduce(E.Hadamard, map(self.read, s.args))

    def read_KroneckerProduct(self, s):
        return reduce(E.Kron, map(self.read, s.args))

    def read_Identity(self, s):
        return E.Identity(matcalc_dim(s.rows))

    def read_ZeroMatrix(self, s):
        return E.Zero(tuple(map(matcalc_dim, s.shape)))

    def read_OneMatrix(self, s):
        return E.Ones(tuple(map(matcalc_dim, s.shape)))

    def read_DiagMatrix(self, s):
        return E.Diag(self.read(s.args[0]))

    def read_DiagonalOf(self, s):
        return E.Diag(self.read(s.arg))

    def read_MatrixElement(self, s):
        matrix, i, j = s.args
        if matrix.shape == (1, 1):
            return self.read(matrix)
        raise UnsupportedError(f"matcalc's language has no entries of a matrix ({s}): "
                               "write the entry as a product with unit vectors")

    def read_ElementwiseApplyFunction(self, s):
        """f applied to every entry of M, with f written in SymPy's scalars of z: the
        functions of the catalogue, sums, products and powers, lifted entry by entry."""
        (z,), body = s.function.variables, s.function.expr
        return self.lifted(body, z, self.read(s.expr))

    def lifted(self, body, z, matrix: E.Expr) -> E.Expr:
        """body(z) with z the entries of matrix: a number or scalar c becomes c times the
        ones of its shape in a sum, a product of entries the Hadamard product."""
        if body == z:
            return matrix
        if z not in body.free_symbols:
            return self.read(body)
        if isinstance(body, sympy.Add):
            terms = [self.lifted(t, z, matrix) for t in body.args]
            return E.add(*(E.mul(t, *ones_of(matrix.shape)) if t.is_scalar else t
                           for t in terms))
        if isinstance(body, sympy.Mul):
            factors = [self.lifted(f, z, matrix) for f in body.args]
            entrywise = [f for f in factors if not f.is_scalar]
            return E.mul(*(f for f in factors if f.is_scalar),
                         reduce(E.Hadamard, entrywise))
        if isinstance(body, sympy.Pow) and z not in body.exp.free_symbols:
            if body.exp == sympy.Rational(1, 2):
                return E.Func("sqrt", self.lifted(body.base, z, matrix))
            return E.Power(self.lifted(body.base, z, matrix), self.read(body.exp))
        function = self.function_name(body)
        if function is not None:
            return E.Func(function, self.lifted(body.args[0], z, matrix))
        raise UnsupportedError(f"matcalc cannot apply {body} entry by entry (in terms of "
                               f"{z}): use the catalogue's functions, sums, products and "
                               "powers")

