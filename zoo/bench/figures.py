"""Figures of the benchmark report, drawn with matplotlib (the ``report`` extra).

Only ``matplotlib.figure.Figure`` is used, never pyplot, so no GUI backend is touched.
A family adds its own picture through a hook named in its registry entry
(``benchmark.figure: "package.module:function"``, or a list of such hooks for several
pictures): a function
``(estimator, data, figure) -> None`` that draws the fitted estimator on ``figure``
(a matplotlib ``Figure``, 6.4 x 4 inches; the hook may resize it). ``data`` is the
benchmark's preprocessed ``zoo.datasets.Dataset``. ``zoo bench`` calls the hook after
the run and saves each PNG beside the results; ``zoo report`` embeds them.
``confusion_matrix`` below is such a hook, for any classifier.
"""

import io

import numpy as np

NO_MATPLOTLIB = 'figures need the report extra: pip install "zoo[report]"'


def image_shape(n_pixels):
    """(rows, columns) to show a flat image of ``n_pixels``: the factorisation with
    rows = round(sqrt(n_pixels)) when it divides, else one row."""
    rows = int(round(np.sqrt(n_pixels)))
    return (rows, n_pixels // rows) if rows and n_pixels % rows == 0 else (1, n_pixels)


def figure_class():
    """matplotlib's ``Figure`` class, or None when matplotlib is not installed."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    return Figure


def png_bytes(figure):
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def learning_curves(record, Figure):
    """PNG of the training-loss curve (``loss_curve_``) of the zoo run, beside the
    baseline's where it has one; None for a zoo run without a curve."""
    if not record["zoo"].get("loss_curve"):
        return None
    curves = {
        f"{side}: {record[side]['estimator'].rpartition(':')[2]}": record[side]["loss_curve"]
        for side in ("zoo", "baseline")
        if record[side].get("loss_curve")
    }
    figure = Figure(figsize=(6.4, 3.6), dpi=100)
    axes = figure.subplots()
    seen = []
    for label, curve in curves.items():
        values = np.array([np.nan if value is None else value for value in curve], dtype=float)
        axes.plot(np.arange(1, len(values) + 1), values, label=label)
        seen.append(values[np.isfinite(values)])
    if np.all(np.concatenate(seen) > 0):
        axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("training loss")
    axes.set_title(f"{record['family']}: learning curves on {record['dataset']}")
    axes.legend()
    return png_bytes(figure)


def confusion_matrix(estimator, data, figure):
    """Figure hook for classifiers: the confusion matrix on the test split."""
    from sklearn.metrics import confusion_matrix as counts

    labels = estimator.classes_
    matrix = counts(data.y_test, estimator.predict(data.X_test), labels=labels)
    axes = figure.subplots()
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes)
    ticks = np.arange(len(labels))
    axes.set_xticks(ticks, [str(label) for label in labels])
    axes.set_yticks(ticks, [str(label) for label in labels])
    for (row, column), count in np.ndenumerate(matrix):
        colour = "white" if count > matrix.max() / 2 else "black"
        axes.text(column, row, str(count), ha="center", va="center", color=colour, fontsize=8)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(f"{type(estimator).__name__}: test confusion matrix")
