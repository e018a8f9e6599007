"""Central-difference gradient checking in float64.

``check_layer`` compares a layer's analytic input and parameter gradients with
(f(x + h) - f(x - h)) / 2h for the scalar loss L = sum(forward(x) * R), R a fixed
random projection; ``check_loss`` does the same for a loss function and
``check_network`` for every parameter of a whole network under a loss.
"""

import numpy as np


def relative_error(analytic, numeric):
    """||a - n|| / max(||a||, ||n||), the gradient-check metric (0 when both vanish)."""
    analytic, numeric = np.asarray(analytic, float), np.asarray(numeric, float)
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric))
    return float(np.linalg.norm(analytic - numeric) / scale) if scale > 0 else 0.0


def numerical_gradient(f, x, eps=1e-6):
    """Central differences of the scalar function f() with respect to array x (in place)."""
    grad = np.zeros_like(x)
    flat, grad_flat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = f()
        flat[i] = original - eps
        minus = f()
        flat[i] = original
        grad_flat[i] = (plus - minus) / (2 * eps)
    return grad


def check_layer(layer, x, rng, training=False, eps=1e-6):
    """Relative errors {'x': ..., param name: ...} of a built float64 layer's gradients.

    ``training=True`` checks the training-mode forward pass; a layer that draws random
    numbers in training (dropout) must be given a fixed mask by the caller.
    """
    x = np.array(x, dtype=np.float64)
    projection = rng.standard_normal(layer.forward(x, training).shape)

    def loss():
        return float(np.sum(layer.forward(x, training) * projection))

    loss()
    dx = layer.backward(projection)
    analytic = {"x": dx, **{k: g.copy() for k, g in layer.grads.items()}}
    errors = {"x": relative_error(analytic["x"], numerical_gradient(loss, x, eps))}
    for name, param in layer.params.items():
        errors[name] = relative_error(analytic[name], numerical_gradient(loss, param, eps))
    return errors


def check_loss(loss, output, target, eps=1e-6):
    """Relative error of ``loss(output, target)``'s gradient with respect to ``output``."""
    output = np.array(output, dtype=np.float64)
    analytic = loss(output, target)[1]
    numeric = numerical_gradient(lambda: loss(output, target)[0], output, eps)
    return relative_error(analytic, numeric)


def check_network(network, objective, X, targets):
    """Relative errors of a float64 network's backprop parameter gradients against
    central differences, one per parameter, for ``objective(output, targets) ->
    (value, d_output)`` of its training-mode output."""
    _, d_output = objective(network.forward(X, training=True), targets)
    network.backward(d_output)
    analytic = [g.copy() for g in network.grads]

    def value():
        return objective(network.forward(X, training=True), targets)[0]

    return [
        relative_error(a, numerical_gradient(value, p)) for a, p in zip(analytic, network.params)
    ]
