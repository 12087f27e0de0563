"""compile(f, wrt=[...], order=1): the value and every gradient of a network's loss.

For losses of L = 1, 2, 3 layers (tanh and sigma, with and without a bias, and a
softmax cross-entropy head), the one generated function must agree with

- ``evaluate()`` of the separate gradients (mc.gradient(f, wrt=[...])), to rounding,
- central finite differences (oracle.py) of an independent NumPy f,

and be backpropagation: each activation computed once (``tanh(M)^T`` is the
transpose of the forward pass's node, not a second forward pass) and 3L - 1
matrix products for L layers (L forward, L for the gradients, L - 1 back). On every
problem of the set, the joint program of one variable agrees with compile(f, wrt=x).
"""
from __future__ import annotations

import numpy as np
import pytest

import matcalc as mc
from oracle import assert_close, central_gradient, rng_values, sigma, softmax
import test_problems as first

SAME_RTOL, SAME_ATOL = 1e-10, 1e-12
FD_RTOL, FD_ATOL = 1e-5, 1e-7
ACTIVATIONS = {"tanh": np.tanh, "sigma": sigma}


def network(layers: int, activation: str, bias: bool = False, batch: bool = True):
    """(text, shapes, weights, NumPy f of the values) of the squared-error loss
    1/2 ||W_L a(... a(W_1 X + b_1 1^T)) - Y||_F^2 (a vector x, y without a batch)."""
    widths = ["d"] + [f"h{i}" for i in range(1, layers)] + ["k"]
    columns = "b" if batch else 1
    shapes = {"X": ("d", columns), "Y": ("k", columns)}
    weights, text = [], "X"
    for i in range(1, layers + 1):
        shapes[f"W_{i}"] = (widths[i], widths[i - 1])
        weights.append(f"W_{i}")
        text = f"W_{i} {text}"
        if i < layers:
            if bias:
                shapes[f"b_{i}"] = (widths[i], 1)
                weights.append(f"b_{i}")
                text += f" + b_{i} 1^T" if batch else f" + b_{i}"
            text = f"{activation}({text})"
    a = ACTIVATIONS[activation]

    def f(v):
        z = v["X"]
        for i in range(1, layers + 1):
            z = v[f"W_{i}"] @ z
            if i < layers:
                if bias:
                    z = z + (v[f"b_{i}"][:, None] if batch else v[f"b_{i}"])
                z = a(z)
        r = z - v["Y"]
        return 0.5 * float(np.sum(r * r))
    return f"1/2 ||{text} - Y||_{'F' if batch else '2'}^2", shapes, weights, f


def softmax_head():
    """-y^T log softmax(W_2 tanh(W_1 x + b)) for one sample x with one-hot y."""
    shapes = {"x": ("d", 1), "y": ("k", 1), "W_1": ("h", "d"), "W_2": ("k", "h"),
              "b": ("h", 1)}

    def f(v):
        p = softmax(v["W_2"] @ np.tanh(v["W_1"] @ v["x"] + v["b"]))
        return -float(v["y"] @ np.log(p))
    return "-y^T log(softmax(W_2 tanh(W_1 x + b)))", shapes, ["W_1", "b", "W_2"], f


SIZES = {"d": 3, "h1": 4, "h2": 5, "h": 4, "k": 2, "b": 6, 1: 1}
CASES = {f"{layers} layers, {act}{', bias' if bias else ''}": network(layers, act, bias)
         for layers in (1, 2, 3) for act in ACTIVATIONS for bias in (False, True)
         if layers > 1 or not bias}
CASES["2 layers, sigma, bias, one sample"] = network(2, "sigma", bias=True, batch=False)
CASES["softmax cross-entropy head"] = softmax_head()


def draw(shapes, seed=0):
    rng = np.random.default_rng(seed)
    values = {}
    for name, (rows, cols) in shapes.items():
        m, n = SIZES[rows], SIZES[cols]
        values[name] = rng.standard_normal(m) if n == 1 else rng.standard_normal((m, n))
    if "y" in values:                     # a one-hot label
        values["y"] = np.eye(SIZES["k"])[1]
    return values


@pytest.mark.parametrize("label", list(CASES))
def test_value_and_every_gradient(label):
    text, shapes, weights, f = CASES[label]
    fg = mc.compile(text, wrt=weights, order=1, shapes=shapes)
    values = draw(shapes)
    value, grads = fg(**values)
    assert isinstance(grads, tuple) and len(grads) == len(weights)
    separate = mc.gradient(text, wrt=weights, shapes=shapes).evaluate(values)
    assert_close(value, f(values), rtol=SAME_RTOL, atol=SAME_ATOL,
                 what=f"{label}: value vs NumPy f\n{fg.source}")
    for name, grad in zip(weights, grads):
        assert_close(grad, separate[name], rtol=SAME_RTOL, atol=SAME_ATOL,
                     what=f"{label}: gradient {name} vs evaluate()\n{fg.source}")
        assert_close(grad, central_gradient(f, values, name), rtol=FD_RTOL, atol=FD_ATOL,
                     what=f"{label}: gradient {name} vs central differences\n{fg.source}")


def body(source: str) -> str:
    """The generated function's statements after its docstring."""
    return source.split("def f(", 1)[1].split("\n", 2)[2]


@pytest.mark.parametrize("layers", [1, 2, 3, 4, 8])
@pytest.mark.parametrize("bias", [False, True])
def test_backpropagation(layers, bias):
    """3L - 1 matrix products, and each activation of the forward pass computed once."""
    if layers == 1 and bias:
        pytest.skip("one layer has no activation to add a bias to")
    text, shapes, weights, _ = network(layers, "tanh", bias)
    code = body(mc.compile(text, wrt=weights, order=1, shapes=shapes, source=True))
    assert code.count(" @ ") == 3 * layers - 1, code
    assert code.count("np.tanh(") == layers - 1, code
    assert "np.outer" not in code and "np.ones" not in code, code


def test_gradients_in_the_order_of_wrt():
    text, shapes, weights, _ = network(2, "tanh")
    values = draw(shapes)
    forward = mc.compile(text, wrt=weights, order=1, shapes=shapes)(**values)
    backward = mc.compile(text, wrt=weights[::-1], order=1, shapes=shapes)(**values)
    assert forward[0] == backward[0]
    for g, h in zip(forward[1], backward[1][::-1]):
        assert np.array_equal(g, h)


def test_one_name_in_a_list_is_a_tuple_of_one_gradient():
    fg = mc.compile("1/2 ||A x - b||_2^2", wrt=["x"], order=1)
    value, (grad,) = fg(np.eye(2), np.ones(2), np.zeros(2))
    assert value == 1.0 and np.array_equal(grad, [-1.0, -1.0])


def test_second_order_with_several_variables_is_refused():
    text, shapes, weights, _ = network(2, "tanh")
    with pytest.raises(mc.MatcalcError, match="order=1"):
        mc.compile(text, wrt=weights, shapes=shapes)


def test_a_chain_is_ordered_with_the_batch_smaller_than_the_widths():
    """W_2 W_1 X is W_2 (W_1 X) (b, the batch, is no dimension of a weight), in the value
    and in the gradients alike, so that the forward product is computed once."""
    shapes = {"X": ("d", "b"), "Y": ("k", "b"), "W_1": ("h", "d"), "W_2": ("k", "h")}
    code = body(mc.compile("1/2 ||W_2 W_1 X - Y||_F^2", wrt=["W_1", "W_2"], order=1,
                           shapes=shapes, source=True))
    assert code.count("W_1 @ X") == 1 and code.count(" @ ") == 5, code


@pytest.mark.parametrize("problem", first.PROBLEMS, ids=[p.id for p in first.PROBLEMS])
def test_every_problem_as_a_list_of_one_variable(problem):
    """The sharing of a joint program (transposes, broadcasts, the batch) changes no
    number: compile(f, wrt=[x]) agrees with compile(f, wrt=x) on the problem set."""
    shapes, assume = dict(problem.shapes or {}), dict(problem.assume or {})
    one = mc.compile(problem.text, problem.wrt, order=1, shapes=shapes, assume=assume)
    joint = mc.compile(problem.text, [problem.wrt], order=1, shapes=shapes, assume=assume)
    assert joint.args == one.args
    values = rng_values(np.random.default_rng(0), problem.spec, {"n": 3, "m": 4, "k": 2})
    args = [values[name] for name in one.args]
    value, grad = one(*args)
    joint_value, (joint_grad,) = joint(*args)
    scale = max([1.0, abs(value), float(np.max(np.abs(grad)))])
    assert_close(joint_value, value, rtol=SAME_RTOL, atol=SAME_ATOL * scale,
                 what=f"{problem.id}: value\n{joint.source}")
    assert_close(joint_grad, grad, rtol=SAME_RTOL, atol=SAME_ATOL * scale,
                 what=f"{problem.id}: gradient\n{joint.source}")
