"""Learning-rate schedules: ``schedule(step) -> learning rate`` for step = 0, 1, 2, ...

``step`` counts optimizer updates.
"""

import math

from ._choices import choose


class Constant:
    def __init__(self, lr0):
        self.lr0 = lr0

    def __call__(self, step):
        return self.lr0


class ExponentialDecay:
    """lr0 * decay ** (step / every)."""

    def __init__(self, lr0, decay=0.96, every=1000):
        self.lr0, self.decay, self.every = lr0, decay, every

    def __call__(self, step):
        return self.lr0 * self.decay ** (step / self.every)


class StepDecay:
    """lr0 * factor ** floor(step / every)."""

    def __init__(self, lr0, factor=0.5, every=1000):
        self.lr0, self.factor, self.every = lr0, factor, every

    def __call__(self, step):
        return self.lr0 * self.factor ** (step // self.every)


class InverseScaling:
    """lr0 / (step + 1) ** power_t, as scikit-learn's 'invscaling'."""

    def __init__(self, lr0, power_t=0.5):
        self.lr0, self.power_t = lr0, power_t

    def __call__(self, step):
        return self.lr0 / (step + 1) ** self.power_t


class Cosine:
    """Loshchilov & Hutter (2017) cosine annealing from lr0 to min_lr over total_steps."""

    def __init__(self, lr0, total_steps=10000, min_lr=0.0):
        self.lr0, self.total_steps, self.min_lr = lr0, total_steps, min_lr

    def __call__(self, step):
        progress = min(step, self.total_steps) / self.total_steps
        return self.min_lr + 0.5 * (self.lr0 - self.min_lr) * (1 + math.cos(math.pi * progress))


SCHEDULES = {
    "constant": Constant,
    "exponential": ExponentialDecay,
    "step": StepDecay,
    "invscaling": InverseScaling,
    "cosine": Cosine,
}


def get_schedule(name, lr0, **options):
    """A schedule from its name, starting at ``lr0``; an unknown option raises TypeError."""
    if callable(name) and not isinstance(name, str):
        return name
    return choose("schedule", name, SCHEDULES)(lr0, **options)
