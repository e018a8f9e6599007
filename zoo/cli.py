"""The ``zoo`` command line: ``zoo list``, ``zoo info NAME``, ``zoo demo [NAMES]``."""

import argparse
import sys
import time

import zoo


def _list(args):
    rows = [(e.name, e.cell, e.title, ", ".join(e.tasks), e.group) for e in map(zoo.info, zoo.list())]
    header = ("name", "cell", "title", "tasks", "group")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def _info(args):
    entry = zoo.info(args.name)
    print(f"{entry.title} ({entry.cell}) — registry name {entry.name!r}, group {entry.group}")
    print(f"estimator: {entry.estimator}")
    for variant, path in entry.variants.items():
        print(f"  {variant}: {path}")
    print("hyperparameters:")
    for key, value in sorted(zoo.get(entry.name).get_params().items()):
        print(f"  {key} = {value!r}")
    print("references:")
    for ref in entry.references:
        print(f"  {ref.authors} ({ref.year}). {ref.title}." + (f" {ref.venue}." if ref.venue else ""))
    return 0


def _demo(args):
    """Fit every named family on its benchmark dataset and print the test score."""
    from sklearn.preprocessing import StandardScaler

    from zoo.datasets import load

    names = args.names or zoo.list()
    for entry in map(zoo.info, names):
        bench = entry.benchmark
        data = load(bench.dataset, random_state=0, **bench.dataset_options)
        X_train, X_test = data.X_train, data.X_test
        if bench.preprocess == "standardize":
            scaler = StandardScaler().fit(X_train)
            X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        estimator = zoo.get(entry.name, **{**bench.params, **bench.quick_params})
        start = time.perf_counter()
        estimator.fit(X_train, data.y_train)
        elapsed = time.perf_counter() - start
        score = estimator.score(X_test, data.y_test)
        print(f"{entry.name:<12} {bench.dataset:<14} test score {score:.4f}  fit {elapsed:.2f} s")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="zoo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the registered families").set_defaults(run=_list)
    info = commands.add_parser("info", help="a family's entry, hyperparameters and papers")
    info.add_argument("name")
    info.set_defaults(run=_info)
    demo = commands.add_parser("demo", help="fit each family on its benchmark dataset")
    demo.add_argument("names", nargs="*")
    demo.set_defaults(run=_demo)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError) as exc:
        print(f"zoo: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
