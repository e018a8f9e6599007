"""The Sequential container and the one minibatch training loop.

``train`` serves every gradient-trained family: full batch (``batch_size=None``),
online (``batch_size=1``) or minibatch; shuffling from a random generator; an
optional validation split; callbacks for early stopping, progress and anything else.
``train_lbfgs`` is the full-batch alternative: scipy's L-BFGS-B on the flattened
parameters with the backprop gradient.
A loss that stops being finite ends training with ``TrainingDivergedError`` after
the weights are put back to the end of the last finite epoch.
"""

import numpy as np
from scipy.optimize import minimize

from .callbacks import History


class TrainingDivergedError(FloatingPointError, ValueError):
    """The training loss became NaN or infinite; the last finite weights were kept."""


class Sequential:
    """A stack of layers applied in order; backward runs them in reverse.

    A layer with an ``output_mask`` (``zoo.core.recurrent.Masking``) sets the mask that
    every later layer with ``takes_mask`` receives as ``forward(x, training, mask=...)``.
    """

    def __init__(self, layers):
        self.layers = list(layers)

    def build(self, input_shape, rng, dtype):
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = layer.build(shape, rng, dtype)
        self.output_shape = shape
        return shape

    def forward(self, x, training=False):
        mask = None
        for layer in self.layers:
            if mask is not None and getattr(layer, "takes_mask", False):
                x = layer.forward(x, training, mask=mask)
            else:
                x = layer.forward(x, training)
            mask = getattr(layer, "output_mask", mask)
        return x

    def backward(self, dy):
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    def predict(self, x, batch_size=4096):
        """Inference-mode forward pass, in chunks to bound memory."""
        if x.shape[0] <= batch_size:
            return self.forward(x, training=False)
        parts = [self.forward(x[i : i + batch_size]) for i in range(0, x.shape[0], batch_size)]
        return np.concatenate(parts)

    @property
    def params(self):
        return [p for layer in self.layers for p in layer.params.values()]

    @property
    def grads(self):
        return [g for layer in self.layers for g in layer.grads.values()]

    @property
    def flops(self):
        """Floating-point operations of one sample's forward pass (the layers' ``flops``)."""
        return sum(layer.flops for layer in self.layers)

    @property
    def n_params(self):
        return int(sum(p.size for p in self.params))

    def get_weights(self):
        return [p.copy() for p in self.params]

    def set_weights(self, weights):
        for param, value in zip(self.params, weights):
            param[...] = value


def train(
    network,
    X,
    y,
    loss,
    optimizer,
    *,
    epochs,
    batch_size=None,
    shuffle=True,
    rng=None,
    validation_data=None,
    validation_score=None,
    callbacks=(),
):
    """Fit ``network`` on ``(X, y)`` with minibatch gradient descent.

    ``loss(output, target) -> (value, d_output)``; ``optimizer.step(params, grads)``.
    ``validation_data=(X_val, y_val)`` is scored after every epoch by
    ``validation_score(y_val, output)`` (higher is better; default: minus the loss).
    Returns the ``History`` with ``loss_curve``, ``validation_scores`` and ``n_epochs``.
    """
    rng = np.random.default_rng(rng)
    n = X.shape[0]
    batch = n if batch_size is None else min(batch_size, n)
    history = History()
    callbacks = [history, *callbacks]
    state = {"network": network, "history": history, "stop": False}
    _notify(callbacks, "on_train_begin", state)
    good_weights = network.get_weights()
    for epoch in range(epochs):
        state["epoch"] = epoch
        _notify(callbacks, "on_epoch_begin", state)
        order = rng.permutation(n) if shuffle and batch < n else np.arange(n)
        total = 0.0
        for start in range(0, n, batch):
            index = order[start : start + batch]
            xb, yb = (X, y) if batch == n else (X[index], y[index])
            state["batch"] = start // batch
            _notify(callbacks, "on_batch_begin", state)
            value, d_output = loss(network.forward(xb, training=True), yb)
            if not np.isfinite(value):
                network.set_weights(good_weights)
                raise TrainingDivergedError(
                    f"training loss became {value} in epoch {epoch + 1}; the weights from the "
                    "end of the last finite epoch were kept. Lower the learning rate or "
                    "standardize the input."
                )
            network.backward(d_output)
            optimizer.step(network.params, network.grads)
            total += value * len(index)
            state["batch_loss"] = value
            _notify(callbacks, "on_batch_end", state)
        state["loss"] = total / n
        if validation_data is not None:
            state["validation_score"] = _score(network, loss, validation_data, validation_score)
        _notify(callbacks, "on_epoch_end", state)
        if _all_finite(network.params):
            good_weights = [w.copy() for w in network.params]
        if state["stop"]:
            break
    _notify(callbacks, "on_train_end", state)
    return history


def _score(network, loss, validation_data, validation_score):
    X_val, y_val = validation_data
    output = network.predict(X_val)
    if validation_score is None:
        return -loss(output, y_val)[0]
    return float(validation_score(y_val, output))


def _all_finite(arrays):
    return all(np.isfinite(a).all() for a in arrays)


def _notify(callbacks, hook, state):
    for callback in callbacks:
        getattr(callback, hook)(state)


def _weight_decay_penalty(params, decay):
    """(decay / 2) sum ||W||^2 over the weight matrices: the optimizers' L2 ``weight_decay``."""
    return 0.5 * decay * sum(float(np.vdot(p, p)) for p in params if p.ndim > 1)


def train_lbfgs(network, X, targets, objective, alpha, max_iter):
    """Full-batch L-BFGS (scipy's L-BFGS-B) on the flattened parameters with the
    backprop gradient; returns (loss curve, iterations, converged).

    The objective is the mean loss plus (alpha / (2 n_samples)) sum ||W||^2, the L2
    penalty of scikit-learn's MLP with solver='lbfgs'."""
    params = network.params
    decay = float(alpha) / X.shape[0]
    sizes = [p.size for p in params]
    bounds = np.cumsum([0, *sizes])

    def unpack(theta):
        for param, start, stop in zip(params, bounds[:-1], bounds[1:]):
            param[...] = theta[start:stop].reshape(param.shape)

    def value_and_gradient(theta):
        unpack(theta)
        value, d_output = objective(network.forward(X, training=True), targets)
        network.backward(d_output)
        value += _weight_decay_penalty(params, decay)
        grads = [g + decay * p if p.ndim > 1 else g for p, g in zip(params, network.grads)]
        return value, np.concatenate([g.ravel() for g in grads]).astype(np.float64)

    curve = []
    theta0 = np.concatenate([p.ravel() for p in params]).astype(np.float64)
    result = minimize(
        value_and_gradient,
        theta0,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter},
        callback=lambda intermediate_result: curve.append(float(intermediate_result.fun)),
    )
    if not np.isfinite(result.fun):
        unpack(theta0)
        raise TrainingDivergedError(
            "L-BFGS reached a non-finite loss; the initial weights were kept"
        )
    unpack(result.x)
    return curve, int(result.nit), result.status != 1
