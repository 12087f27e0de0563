"""PyTorch code: ``to_torch``, ``torch_source`` and ``compile(..., backend="torch")``.

On float64 tensors the generated torch code must equal ``evaluate()`` (to 1e-12 of the
result's size) and, independently of the engine,

- central finite differences (oracle.py) of NumPy code for f (gradients) or for the
  gradient (Hessians), and the losses' closed forms (closed_forms.py);
- torch's own automatic differentiation of the generated code of f
  (``torch.func.grad`` and ``torch.func.hessian``);

on every problem of the set (the tables of test_codegen.py), every loss of
``matcalc.problems.LOSSES`` and the random expressions of test_codegen_properties.py.
Every function returns float64 for float64 inputs and runs on a batch under
``torch.func.vmap``, giving per sample what evaluate() gives. Skipped without torch.
"""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from hypothesis import given

import matcalc as mc
from matcalc import problems
from matcalc.backends import code
from matcalc.catalogue.functions import ELEMENTWISE
from harness import EXACT_ATOL, EXACT_RTOL, cases, engine, profile
from harness import draws as case_draws
from oracle import assert_close, central_gradient, central_jacobian, rng_values
import test_codegen as generated
import test_codegen_properties as properties
import test_compile_many as networks

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings(      # torch.func's internals, not the code tested
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning")

SAME_RTOL, SAME_ATOL = 1e-12, 1e-12     # torch code vs evaluate(), relative to the size
AUTO_RTOL, AUTO_ATOL = 1e-10, 1e-12     # the generated derivative vs torch.func's
BATCH = 4                               # samples of a vmap batch
LOSSES = [c for c in cases(problems.LOSSES, ("gradient", "hessian")) if c.id != "L18"]


def tensor(value):
    return torch.as_tensor(np.asarray(value, dtype=np.float64))


def array(out):
    """A result of torch code as NumPy (tuples item by item); a tensor must be float64."""
    if isinstance(out, tuple):
        return tuple(array(o) for o in out)
    if isinstance(out, torch.Tensor):
        assert out.dtype == torch.float64, f"a result in {out.dtype}"
        return out.detach().numpy()
    assert isinstance(out, float), f"a result of type {type(out).__name__}"
    return np.float64(out)


def call(fn, values):
    """A generated torch function on the values as float64 tensors, its result as NumPy."""
    return array(fn(*[tensor(values[name]) for name in fn.args]))


def scale_of(*arrays):
    return max([1.0] + [float(np.max(np.abs(a))) for a in arrays])


def same(got, expected, what, scale=1.0):
    assert np.shape(got) == np.shape(expected), f"{what}: shape {np.shape(got)}"
    assert_close(got, expected, rtol=SAME_RTOL, atol=SAME_ATOL * scale, what=what)


# ---- the problem set ---------------------------------------------------------------------

@pytest.mark.parametrize("row", generated.GRADIENTS, ids=[r[0] for r in generated.GRADIENTS])
def test_gradient_code(row):
    pid, text, wrt, spec, f, shapes, assume = row
    g = generated.gradient_of(text, wrt, generated.frozen(shapes), generated.frozen(assume))
    fn = code.to_torch(g)
    for label, values in generated.draws(spec):
        got, expected = call(fn, values), g.evaluate(values)
        scale = scale_of(expected, f(**values))
        same(got, expected, f"{pid} {label}: torch code vs evaluate()\n{fn.source}", scale)
        assert_close(got, central_gradient(lambda v: f(**v), values, wrt),
                     rtol=generated.FD_RTOL, atol=generated.FD_ATOL * scale,
                     what=f"{pid} {label}: torch code vs central differences")


@pytest.mark.parametrize("row", generated.HESSIANS, ids=[r[0] for r in generated.HESSIANS])
def test_hessian_code(row):
    pid, text, wrt, spec, f, grad, shapes, assume = row
    h = generated.hessian_of(text, wrt, generated.frozen(shapes), generated.frozen(assume))
    fn = code.to_torch(h)
    for label, values in generated.draws(spec):
        got, expected = call(fn, values), np.asarray(h.evaluate(values), dtype=float)
        scale = scale_of(expected, grad(**values), f(**values))
        same(got, expected, f"{pid} {label}: torch code vs evaluate()\n{fn.source}", scale)
        assert_close(got, central_jacobian(lambda v: grad(**v), values, wrt),
                     rtol=generated.FD_RTOL, atol=generated.FD_ATOL * scale,
                     what=f"{pid} {label}: torch code vs differences of the gradient")


@pytest.mark.parametrize("row", generated.GRADIENTS, ids=[r[0] for r in generated.GRADIENTS])
def test_compile(row):
    """compile(f, wrt, backend="torch"): the value is f's, the gradient evaluate()'s, and
    for a vector variable the Hessian evaluate()'s."""
    pid, text, wrt, spec, f, shapes, assume = row
    g = generated.gradient_of(text, wrt, generated.frozen(shapes), generated.frozen(assume))
    fg = mc.compile(text, wrt, order=1, shapes=shapes, assume=assume, backend="torch")
    vector = spec[wrt].startswith(("vector", "positive_vector", "nonzero_vector"))
    fgh = mc.compile(text, wrt, order=2, shapes=shapes, assume=assume, backend="torch") \
        if vector else None
    for label, values in generated.draws(spec):
        value, gradient = call(fg, values)
        scale = scale_of(gradient, f(**values))
        same(value, np.float64(f(**values)), f"{pid} {label}: value\n{fg.source}", scale)
        same(gradient, g.evaluate(values), f"{pid} {label}: gradient\n{fg.source}", scale)
        if fgh is not None:
            h = generated.hessian_of(text, wrt, generated.frozen(shapes),
                                     generated.frozen(assume))
            value2, gradient2, hessian = call(fgh, values)
            expected = np.asarray(h.evaluate(values), dtype=float)
            same(hessian, expected, f"{pid} {label}: Hessian\n{fgh.source}",
                 scale_of(expected, gradient))
            same(gradient2, gradient, f"{pid} {label}: gradient of order 2", scale)


def torch_function_of(values, fn, wrt):
    """fn as a function of the variable alone, the other arguments fixed tensors."""
    fixed = {name: tensor(values[name]) for name in fn.args if name != wrt}
    return lambda v: fn(**fixed, **{wrt: v})


@pytest.mark.parametrize("row", generated.GRADIENTS, ids=[r[0] for r in generated.GRADIENTS])
def test_gradient_equals_torch_autodiff(row):
    """torch.func.grad of the generated code of f is the generated gradient."""
    pid, text, wrt, spec, f, shapes, assume = row
    g = generated.gradient_of(text, wrt, generated.frozen(shapes), generated.frozen(assume))
    f_code, g_code = code.to_torch(mc.parse(text, shapes=shapes)), code.to_torch(g)
    symmetric = (assume or {}).get(wrt) in ("symmetric", "spd")
    for label, values in generated.draws(spec):
        auto = array(torch.func.grad(torch_function_of(values, f_code, wrt))(
            tensor(values[wrt])))
        if symmetric:           # the gradient on the symmetric matrices is sym(G)
            auto = (auto + auto.T) / 2
        got = call(g_code, values)
        assert_close(got, auto, rtol=AUTO_RTOL, atol=AUTO_ATOL * scale_of(got),
                     what=f"{pid} {label}: generated gradient vs torch.func.grad")


@pytest.mark.parametrize("row", generated.HESSIANS, ids=[r[0] for r in generated.HESSIANS])
def test_hessian_equals_torch_autodiff(row):
    """torch.func.hessian of the generated code of f is the generated Hessian (vector
    variables: torch's Hessian of a matrix variable is 4-D)."""
    pid, text, wrt, spec, f, grad, shapes, assume = row
    if not spec[wrt].startswith("vector"):
        pytest.skip("a matrix variable: the Hessian is in vec layout")
    h = generated.hessian_of(text, wrt, generated.frozen(shapes), generated.frozen(assume))
    f_code, h_code = code.to_torch(mc.parse(text, shapes=shapes)), code.to_torch(h)
    for label, values in generated.draws(spec):
        auto = array(torch.func.hessian(torch_function_of(values, f_code, wrt))(
            tensor(values[wrt])))
        got = call(h_code, values)
        assert_close(got, auto, rtol=AUTO_RTOL, atol=AUTO_ATOL * scale_of(got),
                     what=f"{pid} {label}: generated Hessian vs torch.func.hessian")


# ---- batches -----------------------------------------------------------------------------

def batch(spec, dims):
    """BATCH draws of the same sizes, and the same values stacked along a first axis."""
    samples = [rng_values(np.random.default_rng(seed), spec, dims)
               for seed in range(BATCH)]
    stacked = {name: torch.stack([tensor(s[name]) for s in samples]) for name in spec}
    return samples, stacked


@pytest.mark.parametrize("row", generated.GRADIENTS, ids=[r[0] for r in generated.GRADIENTS])
def test_vmap_of_the_gradient(row):
    """torch.func.vmap runs the generated gradient on a batch: sample by sample it is
    evaluate()."""
    pid, text, wrt, spec, f, shapes, assume = row
    g = generated.gradient_of(text, wrt, generated.frozen(shapes), generated.frozen(assume))
    fn = code.to_torch(g)
    for dims in generated.SIZES:
        samples, stacked = batch(spec, dims)
        out = array(torch.func.vmap(fn)(*[stacked[name] for name in fn.args]))
        assert out.shape[0] == BATCH
        for k, values in enumerate(samples):
            expected = g.evaluate(values)
            same(out[k], expected, f"{pid} sample {k} of a batch, dims={dims}\n{fn.source}",
                 scale_of(expected, f(**values)))


@pytest.mark.parametrize("row", generated.HESSIANS, ids=[r[0] for r in generated.HESSIANS])
def test_vmap_of_compile(row):
    """vmap of compile(f, wrt, order=2, backend="torch"): value, gradient and Hessian (for
    a matrix variable, the gradient) per sample."""
    pid, text, wrt, spec, f, grad, shapes, assume = row
    matrix = not spec[wrt].startswith("vector")
    fgh = mc.compile(text, wrt, order=1 if matrix else 2, shapes=shapes, assume=assume,
                     backend="torch")
    h = generated.hessian_of(text, wrt, generated.frozen(shapes), generated.frozen(assume))
    dims = generated.SIZES[0]
    samples, stacked = batch(spec, dims)
    out = array(torch.func.vmap(fgh)(*[stacked[name] for name in fgh.args]))
    for k, values in enumerate(samples):
        scale = scale_of(grad(**values), f(**values))
        same(out[0][k], np.float64(f(**values)), f"{pid} sample {k}: value", scale)
        assert_close(out[1][k], grad(**values), rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{pid} sample {k}: gradient vs closed form")
        if not matrix:
            expected = np.asarray(h.evaluate(values), dtype=float)
            same(out[2][k], expected, f"{pid} sample {k}: Hessian", scale_of(expected))


# ---- the losses, networks and random expressions -----------------------------------------

@pytest.mark.parametrize("loss", LOSSES, ids=[f"{c.id}-{c.kind}" for c in LOSSES])
def test_losses(loss):
    """Every loss's gradient or Hessian as torch code: evaluate()'s value and the paper's."""
    r = engine(loss.kind, loss.id)
    fn = code.to_torch(r)
    closed = loss.grad if loss.kind == "gradient" else loss.hess
    for label, values in case_draws(loss):
        got, expected = call(fn, values), np.asarray(r.evaluate(values), dtype=float)
        scale = scale_of(expected, loss.grad(**values), loss.f(**values))
        same(got, expected, f"{label}: torch code vs evaluate()\n{fn.source}", scale)
        assert_close(got, closed(**values), rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: torch code vs closed form")


@pytest.mark.parametrize("label", list(networks.CASES))
def test_networks(label):
    """compile(loss, wrt=[W_1, ...], order=1, backend="torch"): backpropagation in torch,
    equal to evaluate() of the gradients and to central differences of NumPy f."""
    text, shapes, weights, f = networks.CASES[label]
    fg = mc.compile(text, wrt=weights, order=1, shapes=shapes, backend="torch")
    values = networks.draw(shapes)
    value, grads = call(fg, values)
    separate = mc.gradient(text, wrt=weights, shapes=shapes).evaluate(values)
    same(value, np.float64(f(values)), f"{label}: value\n{fg.source}", abs(f(values)))
    for name, g in zip(weights, grads):
        same(g, separate[name], f"{label}: gradient {name}\n{fg.source}", scale_of(g))
        assert_close(g, central_gradient(f, values, name), rtol=networks.FD_RTOL,
                     atol=networks.FD_ATOL, what=f"{label}: gradient {name} vs differences")


def torch_maker(obj, assume=None):
    """to_torch for test_codegen_properties.check_functions: NumPy values in and out."""
    fn = code.to_torch(obj, assume=assume)

    def run(*args):
        return array(fn(*map(tensor, args)))
    run.args, run.source = fn.args, fn.source
    return run


@profile(properties.EXAMPLES // 3)
@given(case=properties.either())
def test_torch_code_equals_evaluate(case):
    properties.check_functions(properties.derive(case), torch_maker, "to_torch")


# ---- what the code is, and its errors ----------------------------------------------------

def test_the_source_is_torch_in_float64():
    src = mc.torch_source(mc.hessian("1/2 ||A x - b||_2^2 + sum(exp(x))", wrt="x"))
    assert src.startswith("import torch\n") and "np." not in src, src
    src = mc.torch_source(mc.gradient("1^T x", wrt="x"))
    assert "torch.ones(x.shape[0], dtype=torch.float64)" in src, src
    src = mc.torch_source(mc.hessian("log det X", wrt="X"))
    assert "dtype=torch.float64" in src and "_commutation" in src, src


def test_float32_inputs_stay_float32_where_the_code_makes_no_array():
    """Arrays the code makes are float64; what it computes from float32 inputs only (no
    array made) stays float32, as torch computes it."""
    fn = code.to_torch(mc.gradient("1/2 ||A x - b||_2^2", wrt="x"))
    out = fn(torch.eye(2), torch.ones(2), torch.zeros(2))
    assert out.dtype == torch.float32 and torch.equal(out, -torch.ones(2))


def test_results_and_the_public_face():
    g = mc.gradient("tr(A X^-1 B)", wrt="X")
    assert g.to_torch().source == mc.to_torch(g).source == mc.torch_source(g)
    assert "jnp.linalg.inv(X)" in mc.jax_source(g)


def test_missing_torch_is_a_clear_error(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(mc.MatcalcError, match="PyTorch code needs PyTorch.*pip install torch"):
        code.to_torch(mc.parse("x^T x"))
    with pytest.raises(mc.MatcalcError, match="PyTorch"):
        mc.compile("x^T x", "x", backend="torch")
    assert mc.compile("x^T A x", "x", backend="torch", source=True).startswith("import torch")


def test_an_unknown_backend_is_refused():
    with pytest.raises(mc.MatcalcError, match="backend must be 'numpy' or 'jax' or 'torch'"):
        mc.compile("x^T x", "x", backend="tensorflow")


def test_torch_spells_every_operation_and_function():
    assert set(code.TORCH.spellings) == set(code.NUMPY.spellings)
    assert all("torch" in row.code for row in ELEMENTWISE.values())
