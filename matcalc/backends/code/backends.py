"""The backends of generated code: one object per target library.

A Backend owns everything that differs between libraries: the prelude (its
imports), the names its code uses, the spelling of every operation of the DAG
that is not a Python operator, the sources of the helper functions, and how a
scalar result is returned. A spelling is a template of the arguments ``{0}``,
``{1}``, ... and of the node's params (``{k}``, ``{axis}``, ...), written as one
primary expression (a call, attribute or subscript): an argument followed by
``.`` or ``[`` is parenthesized unless it is atomic. A template that calls
``_name(`` uses the helper ``_name``, whose source is written out with the code.
An elementwise function's spelling is its catalogue row's ``code[backend.name]``.

NumPy and JAX share NumPy's API (``array_module_spellings``), each under its own
namespace; PyTorch's differs in a few spellings (``torch_spellings``) and makes its
arrays in float64 (torch's default is float32). A new library is one new Backend object.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

from ...catalogue.functions import ELEMENTWISE
from ...catalogue.structural import MATRIX_FUNCTIONS
from .. import matrix_functions
from ...errors import UnsupportedError

HELPER_CALL = re.compile(r"(?<![\w.])(_[A-Za-z]\w*)\(")


@dataclass(frozen=True, eq=False)
class Backend:
    """One target library of generated code (see the module docstring)."""
    name: str                   # the key of the catalogue's code spellings
    prelude: str                # the imports the code starts with
    reserved: frozenset         # names the code uses: no symbol may take them
    spellings: dict             # op -> template
    helpers: dict               # helper name -> its source
    scalar_result: str = "{0}"  # a computed scalar as it is returned
    title: str = ""             # the library's name in messages
    package: str = ""           # the module the code imports, if it is optional
    install: str = ""           # how to install that module
    number_argument: str = "{}"  # a Python number as an argument of an entrywise function

    def template(self, op: str, params: tuple) -> str:
        """The spelling of an operation (its arguments and params still to fill in)."""
        if op == "elementwise":
            name = dict(params)["name"]
            code = ELEMENTWISE[name].code
            if self.name not in code:
                raise UnsupportedError(f"{name} has no spelling in {self.name} code; "
                                       f"generate NumPy code instead (to_numpy())")
            return code[self.name]
        if op not in self.spellings:
            raise UnsupportedError(f"no {self.name} spelling of the operation {op}")
        return self.spellings[op]

    def helpers_called(self, template: str) -> list:
        """The helpers a spelling calls, and the helpers those call."""
        found = []
        todo = [h for h in HELPER_CALL.findall(template) if h in self.helpers]
        while todo:
            h = todo.pop()
            if h not in found:
                found.append(h)
                todo += [g for g in HELPER_CALL.findall(self.helpers[h]) if g in self.helpers]
        return found


COMMUTATION = '''\
    K = {ns}.zeros((m * n, m * n){dtype})
    i, j = {ns}.meshgrid({ns}.arange(m), {ns}.arange(n), indexing="ij")
    K[(i * n + j).ravel(), (j * m + i).ravel()] = 1.0
'''
"""The body of _commutation: K built by item assignment, in the module ns (its zeros of
the given dtype, if any)."""


def array_module_spellings(ns: str) -> dict:
    """The spelling of each operation in NumPy's API, the module imported as ``ns``."""
    return {
        "transpose": "{0}.T",
        "shape": "{0}.shape[{axis}]",
        "column": "{0}[:, None]",                   # a vector as an (n, 1) array
        "row": "{0}[None, :]",                      # a vector as a (1, n) array
        "sum": "{0}.sum()",
        "sum_axis": "{0}.sum(axis={axis})",
        "trace": "{0}.trace()",
        "diagonal": "{0}.diagonal()",
        "ones_vector": ns + ".ones({0})",
        "ones_matrix": ns + ".ones(({0}, {1}))",
        "zeros_vector": ns + ".zeros({0})",
        "zeros_matrix": ns + ".zeros(({0}, {1}))",
        "eye": ns + ".eye({0})",
        "diag": ns + ".diag({0})",                  # a vector -> the diagonal matrix
        "power": ns + ".power({0}, {k})",
        "power_node": ns + ".power({0}, {1})",
        "inv": ns + ".linalg.inv({0})",
        "solve": ns + ".linalg.solve({0}, {1})",
        "matrix_power": ns + ".linalg.matrix_power({0}, {k})",
        "det": ns + ".linalg.det({0})",
        "outer": ns + ".outer({0}, {1})",
        "vdot": ns + ".vdot({0}, {1})",
        "kron": ns + ".kron({0}, {1})",
        "ravel": ns + ".ravel({0})",                # row-major
        "vec": ns + '.ravel({0}, order="F")',       # column-major: the columns stacked
        "reshape": ns + ".reshape({0}, {shape})",
        "norm_l1": ns + ".abs({0}).sum()",
        "norm_max": ns + ".abs({0}).max()",
        "norm_lp": "_norm_p({0}, {1})",
        "norm_spectral": ns + ".linalg.norm({0}, 2)",
        "norm_nuclear": ns + '.linalg.norm({0}, "nuc")',
        "lambda_max": ns + ".linalg.eigvalsh({0})[-1]",
        "lambda_min": ns + ".linalg.eigvalsh({0})[0]",
        "max": "{0}.max()",
        "min": "{0}.min()",
        "ismax": "_ismax({0})",
        "ismin": "_ismin({0})",
        "softmax": "_softmax({0})",
        "logsumexp": "_logsumexp({0})",
        "softmax_columns": "_softmax_columns({0})",
        "logsumexp_columns": "_logsumexp_columns({0})",
        "eig": "_eig({0})",
        "polar": "_polar({0})",
        "svtop": "_svtop({0})",
        "eigtop": "_eigtop({0})",
        "eigbottom": "_eigbottom({0})",
        "logdet": "_logdet({0})",
        "logdet_spd": "_logdet_spd({0})",
        "slog": "_slog({0})",
        "slog_det": "_slog_det({0}, {1}, {k})",
        "from_slog": "_from_slog({0})",
        "commutation": "_commutation({0}, {1})",
        "partial_trace": "_partial_trace({0}, {1}, {which})",     # matrices W and C
        "integer_power": "_integer_power({0}, {1})",
        **{f: f'_matfunc("{f}", {{0}})' for f in MATRIX_FUNCTIONS},
        **{"d" + f: f'_dmatfunc("{f}", {{0}}, {{1}})' for f in MATRIX_FUNCTIONS},
    }


NUMPY_MATRIX_FUNCTIONS = {
    "_matfunc": "\n\n".join(inspect.getsource(fn) for fn in (
        matrix_functions._divided, matrix_functions._symmetric, matrix_functions._eigen,
        matrix_functions._expm_pade, matrix_functions._matfunc)),
    "_dmatfunc": inspect.getsource(matrix_functions._dmatfunc)}
"""The matrix functions in generated NumPy code: evaluation's own (backends/matrix_functions.py);
_dmatfunc calls _matfunc, which brings the functions both use."""

JAX_MATRIX_FUNCTIONS = {
    "_matfunc": '''
def _matfunc(name, X):
    """expm by JAX's scaling and squaring; logm and sqrtm by X = V diag(l) V^-1."""
    if name == "expm":
        from jax.scipy.linalg import expm
        return expm(X)
    w, V = jnp.linalg.eig(X)
    f = jnp.log(w) if name == "logm" else jnp.sqrt(w)
    return jnp.real((V * f) @ jnp.linalg.inv(V))
''',
    "_dmatfunc": '''
def _dmatfunc(name, X, E):
    """Df(X)[E]: JAX's expm_frechet; logm and sqrtm by V (F .* (V^-1 E V)) V^-1 with the
    divided differences F of f at the eigenvalues (Daleckii-Krein)."""
    if name == "expm":
        from jax.scipy.linalg import expm_frechet
        return expm_frechet(X, E, compute_expm=False)
    w, V = jnp.linalg.eig(X)
    Vi = jnp.linalg.inv(V)
    a, b = w[:, None], w[None, :]
    if name == "sqrtm":
        F = 1.0 / (jnp.sqrt(a) + jnp.sqrt(b))
    else:
        z = (a - b) / (a + b)
        F = 2 * jnp.where(z == 0, 1.0, jnp.arctanh(z) / jnp.where(z == 0, 1.0, z)) / (a + b)
    return jnp.real(V @ (F * (Vi @ E.astype(V.dtype) @ V)) @ Vi)
''',
}


def array_module_helpers(ns: str) -> dict:
    """The helper functions, written in NumPy's API against the module ``ns``."""
    return {
        "_sigmoid": f'''
def _sigmoid(z):
    """1 / (1 + exp(-z)), without overflow."""
    return 0.5 + 0.5 * {ns}.tanh(0.5 * z)
''',
        "_logdet": f'''
def _logdet(X):
    """log det X (nan where det X <= 0, as log would give)."""
    sign, value = {ns}.linalg.slogdet(X)
    return value if sign > 0 else {ns}.nan
''',
        "_slog": f'''
def _slog(c):
    """A number as (sign, log |c|): a product of determinants kept as a sign and a logarithm."""
    return {ns}.sign(c), {ns}.log({ns}.abs(c))
''',
        "_slog_det": f'''
def _slog_det(slog, X, k):
    """(sign, log |.|) of the number slog stands for times det(X)^k, by slogdet."""
    sign, value = {ns}.linalg.slogdet(X)
    return slog[0] * sign ** k, slog[1] + k * value
''',
        "_from_slog": f'''
def _from_slog(slog):
    """The logarithm of the number (sign, log |.|) stands for: -inf at 0, nan below."""
    return slog[1] if slog[0] > 0 else -{ns}.inf if slog[0] == 0 else {ns}.nan
''',
        "_logdet_spd": f'''
def _logdet_spd(X):
    """log det X of a symmetric positive definite X, by Cholesky."""
    return 2.0 * {ns}.log({ns}.linalg.cholesky(X).diagonal()).sum()
''',
        "_softmax": f'''
def _softmax(u):
    w = {ns}.exp(u - u.max())
    return w / w.sum()
''',
        "_logsumexp": f'''
def _logsumexp(u):
    m = u.max()
    return m + {ns}.log({ns}.exp(u - m).sum())
''',
        "_softmax_columns": f'''
def _softmax_columns(U):
    """The softmax of each column."""
    W = {ns}.exp(U - U.max(axis=0))
    return W / W.sum(axis=0)
''',
        "_logsumexp_columns": f'''
def _logsumexp_columns(U):
    """The logsumexp of each column."""
    m = U.max(axis=0)
    return m + {ns}.log({ns}.exp(U - m).sum(axis=0))
''',
        "_norm_p": f'''
def _norm_p(x, p):
    return ({ns}.abs(x) ** p).sum() ** (1.0 / p)
''',
        **{f"_is{m}": f'''
def _is{m}(x):
    """1.0 at the one entry equal to x.{m}(), else 0.0; nan where it is attained twice."""
    hits = x == x.{m}()
    return {ns}.where(hits.sum() == 1, hits * 1.0, {ns}.nan)
''' for m in ("max", "min")},
        "_integer_power": f'''
def _integer_power(X, k):
    """X^k for an integer k (a negative one by X^-1)."""
    if k != round(float(k)):
        raise ValueError(f"X^k is a matrix power for an integer k, not {{k}}")
    return {ns}.linalg.matrix_power(X, int(round(float(k))))
''',
        "_commutation": f'''
def _commutation(m, n):
    """K with K vec(X) = vec(X^T) for X of shape (m, n)."""
{COMMUTATION.format(ns=ns, dtype="")}    return K
''',
        "_partial_trace": f'''
def _partial_trace(W, C, which):
    """tr_2(W (I kron C)) (which 2: each block by its trace) or tr_1((C kron I) W) (which 1:
    the sum of the diagonal blocks)."""
    (r, c), (a, b) = W.shape, C.shape
    if which == 2:
        M = W @ {ns}.kron({ns}.eye(c // a), C)
        return {ns}.einsum("ikjk->ij", M.reshape(r // b, b, c // a, b))
    M = {ns}.kron(C, {ns}.eye(r // b)) @ W
    return {ns}.einsum("kikj->ij", M.reshape(a, r // b, a, c // a))
''',
        "_eig": f'''
def _eig(X):
    return {ns}.sort({ns}.real({ns}.linalg.eigvals(X)))[::-1]
''',
        "_polar": f'''
def _polar(X):
    U, _, Vt = {ns}.linalg.svd(X, full_matrices=False)
    return U @ Vt
''',
        "_svtop": f'''
def _svtop(X):
    U, _, Vt = {ns}.linalg.svd(X, full_matrices=False)
    return {ns}.outer(U[:, 0], Vt[0])
''',
        "_eigtop": f'''
def _eigtop(X):
    v = {ns}.linalg.eigh(X)[1][:, -1]
    return {ns}.outer(v, v)
''',
        "_eigbottom": f'''
def _eigbottom(X):
    v = {ns}.linalg.eigh(X)[1][:, 0]
    return {ns}.outer(v, v)
''',
    }


NUMPY = Backend(
    name="numpy",
    prelude="import numpy as np\n",
    reserved=frozenset({"np", "numpy"}),
    spellings=array_module_spellings("np"),
    helpers={**array_module_helpers("np"), **NUMPY_MATRIX_FUNCTIONS},
    scalar_result="float({0})",         # a Python float, as numeric.evaluate gives it
    title="NumPy",
)


def traced_helpers(ns: str) -> dict:
    """The helpers whose NumPy form branches on a value, as ``where`` in the module ``ns``:
    a library that traces the code (jax.jit, torch.func.vmap) cannot branch on a value."""
    return {
        "_logdet": f'''
def _logdet(X):
    """log det X (nan where det X <= 0, as log would give)."""
    sign, value = {ns}.linalg.slogdet(X)
    return {ns}.where(sign > 0, value, {ns}.nan)
''',
        "_from_slog": f'''
def _from_slog(slog):
    """The logarithm of the number (sign, log |.|) stands for: -inf at 0, nan below."""
    return {ns}.where(slog[0] > 0, slog[1], {ns}.where(slog[0] == 0, -{ns}.inf, {ns}.nan))
'''}


JAX = Backend(
    name="jax",
    prelude="import numpy as np\nimport jax.numpy as jnp\n",
    reserved=frozenset({"np", "numpy", "jnp", "jax"}),
    spellings=array_module_spellings("jnp"),
    helpers={**array_module_helpers("jnp"), **traced_helpers("jnp"), **JAX_MATRIX_FUNCTIONS,
             "_commutation": f'''
def _commutation(m, n):
    """K with K vec(X) = vec(X^T) for X of shape (m, n) (built by NumPy: m, n are static)."""
{COMMUTATION.format(ns="np", dtype="")}    return jnp.asarray(K)
'''},
    scalar_result="{0}",                # an array, so that the code can be traced
    title="JAX", package="jax", install="pip install 'matcalc[jax]' (or pip install jax)",
)

FLOAT64 = "dtype=torch.float64"


def torch_spellings() -> dict:
    """NumPy's API on torch where torch spells it so; else torch's own spelling, with the
    arrays it makes in float64 and no operation that vmap cannot batch."""
    return {
        **array_module_spellings("torch"),
        "sum_axis": "{0}.sum(dim={axis})",
        "power": "torch.pow({0}, {k})",
        "power_node": "torch.pow({0}, {1})",
        "ones_vector": f"torch.ones({{0}}, {FLOAT64})",
        "ones_matrix": f"torch.ones(({{0}}, {{1}}), {FLOAT64})",
        "zeros_vector": f"torch.zeros({{0}}, {FLOAT64})",
        "zeros_matrix": f"torch.zeros(({{0}}, {{1}}), {FLOAT64})",
        "eye": f"torch.eye({{0}}, {FLOAT64})",
        "diag": "torch.diag_embed({0})",
        "vdot": "torch.sum(torch.mul({0}, {1}))",      # torch.vdot takes vectors only
        "vec": "torch.ravel({0}.T)",
        "kron": "_kron({0}, {1})",
        "softmax": "torch.softmax({0}, 0)",
        "logsumexp": "torch.logsumexp({0}, 0)",
    }


def torch_helpers() -> dict:
    """The helpers on torch: the data-dependent branches as torch.where (so that vmap can
    batch them), the numbers they make in float64."""
    helpers = array_module_helpers("torch")
    del helpers["_sigmoid"], helpers["_softmax"], helpers["_logsumexp"]
    return {**helpers,
            **traced_helpers("torch"),
            "_slog": f'''
def _slog(c):
    """A number as (sign, log |c|): a product of determinants kept as a sign and a logarithm."""
    c = torch.as_tensor(c, {FLOAT64})
    return torch.sign(c), torch.log(torch.abs(c))
''',
            "_commutation": f'''
def _commutation(m, n):
    """K with K vec(X) = vec(X^T) for X of shape (m, n)."""
{COMMUTATION.format(ns="torch", dtype=", " + FLOAT64)}    return K
''',
            "_eig": '''
def _eig(X):
    return torch.sort(torch.linalg.eigvals(X).real, descending=True).values
''',
            "_kron": '''
def _kron(A, B):
    """A kron B (torch.kron refuses a transposed view)."""
    return torch.kron(A.contiguous(), B.contiguous())
''',
            "_softplus": '''
def _softplus(z):
    """log(1 + exp(z)), without overflow."""
    return torch.logaddexp(z, torch.zeros_like(z))
''',
            "_step": '''
def _step(z):
    """The unit step: 0 for z <= 0, 1 for z > 0."""
    return torch.heaviside(z, torch.zeros_like(z))
'''}


TORCH = Backend(
    name="torch",
    prelude="import torch\n",
    reserved=frozenset({"torch"}),
    spellings=torch_spellings(),
    helpers=torch_helpers(),
    scalar_result="{0}",                # a 0-d tensor, so that vmap and autograd can trace it
    title="PyTorch", package="torch", install="pip install torch",
    number_argument=f"torch.tensor({{}}, {FLOAT64})",     # torch.sin(2) is a TypeError
)

BACKENDS = {b.name: b for b in (NUMPY, JAX, TORCH)}
