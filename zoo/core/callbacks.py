"""Training callbacks. Each hook receives the loop's ``state`` dict (``network``,
``history``, ``epoch``, ``loss``, ``batch_loss``, ``validation_score``); setting
``state["stop"] = True`` ends training after the current epoch."""

import sys
import time

import numpy as np


class Callback:
    """Base class with every hook a no-op."""

    def on_train_begin(self, state): ...

    def on_epoch_begin(self, state): ...

    def on_batch_begin(self, state): ...

    def on_batch_end(self, state): ...

    def on_epoch_end(self, state): ...

    def on_train_end(self, state): ...


class History(Callback):
    """Records the mean training loss and the validation score of every epoch."""

    def __init__(self):
        self.loss_curve = []
        self.validation_scores = []

    def on_epoch_end(self, state):
        self.loss_curve.append(state["loss"])
        if "validation_score" in state:
            self.validation_scores.append(state["validation_score"])

    @property
    def n_epochs(self):
        return len(self.loss_curve)


class EarlyStopping(Callback):
    """Stop when the monitored quantity has not improved by ``tol`` for ``patience``
    epochs, and put back the best weights seen.

    Monitors the validation score (higher is better) when there is one, else the
    training loss (lower is better).
    """

    def __init__(self, patience=10, tol=1e-4, restore_best=True):
        self.patience, self.tol, self.restore_best = patience, tol, restore_best

    def on_train_begin(self, state):
        self.best, self.best_weights, self.wait, self.best_epoch = np.inf, None, 0, -1
        self.stopped = False

    def on_epoch_end(self, state):
        current = -state["validation_score"] if "validation_score" in state else state["loss"]
        if current < self.best - self.tol:
            self.wait = 0
        else:
            self.wait += 1
        if current < self.best:
            self.best, self.best_epoch = current, state["epoch"]
            if self.restore_best:
                self.best_weights = state["network"].get_weights()
        if self.wait >= self.patience:
            state["stop"] = self.stopped = True

    def on_train_end(self, state):
        if self.restore_best and self.best_weights is not None:
            state["network"].set_weights(self.best_weights)


class ProgressLogger(Callback):
    """One line per epoch (every ``every`` epochs) with loss, validation score and time."""

    def __init__(self, every=1, stream=None):
        self.every, self.stream = every, stream

    def on_train_begin(self, state):
        self.start = time.perf_counter()

    def on_epoch_end(self, state):
        epoch = state["epoch"] + 1
        if epoch % self.every:
            return
        line = f"epoch {epoch}: loss {state['loss']:.6g}"
        if "validation_score" in state:
            line += f", validation score {state['validation_score']:.6g}"
        line += f" ({time.perf_counter() - self.start:.2f} s)"
        print(line, file=self.stream or sys.stdout)
