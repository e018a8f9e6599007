"""Shared primitives: activations, losses, initializers, optimizers, schedules,
layers, the Sequential container and its training loop, the ridge and logistic
readouts and the gradient checker. Nothing in here knows about a particular family."""
