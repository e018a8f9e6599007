"""The ``zoo`` command line: ``zoo list``, ``zoo info NAME``, ``zoo bench [NAMES]``,
``zoo report``."""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import zoo

DEFAULT_OUT = "reports"


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
    if entry.benchmark is not None:
        bench = entry.benchmark
        print(f"benchmark: {bench.metric} on {bench.dataset}, baseline {bench.baseline.estimator}")
    return 0


def _bench(args):
    """Fit the named families (all by default) beside their baselines, then write the report."""
    from zoo.bench import Settings, run

    entries = _benchmarked_entries(args.names)
    out = _writable_folder(args.out)
    settings = Settings(quick=args.quick, seed=args.seed, threads=args.threads, n_jobs=args.n_jobs)
    print(f"zoo bench: {_describe(settings, len(entries))} -> {out}/", flush=True)
    started = time.perf_counter()
    records = run(entries, settings, out, progress=lambda line: print(line, flush=True))
    failed = [
        r["family"] for r in records if "failed" in (r["zoo"]["status"], r["baseline"]["status"])
    ]
    print(
        f"{_families(len(records))} benchmarked in {time.perf_counter() - started:.1f} s; "
        + (f"runs failed in: {', '.join(failed)}" if failed else "all runs ok")
    )
    return _write_report(out)


def _families(n):
    return f"{n} famil{'y' if n == 1 else 'ies'}"


def _describe(settings, n_families):
    return (
        f"{_families(n_families)}, "
        f"{'quick' if settings.quick else 'full'} budgets, seed {settings.seed}, "
        f"{settings.threads} thread{'' if settings.threads == 1 else 's'} per run, "
        f"n_jobs {settings.n_jobs}"
    )


def _report(args):
    """Rebuild the report from the saved results, without refitting."""
    return _write_report(Path(args.out))


def _write_report(out):
    from zoo.bench import write_report

    markdown, page, with_figures = write_report(out)
    print(f"report: {markdown} and {page}")
    if not with_figures:
        print('figures need the report extra: pip install "zoo[report]"', file=sys.stderr)
    return 0


def _benchmarked_entries(names):
    """Registry entries of ``names`` (all families when empty), each once, with a benchmark."""
    entries = list({entry.name: entry for entry in map(zoo.info, names or zoo.list())}.values())
    without = [entry.name for entry in entries if entry.benchmark is None]
    if without:
        skipped = ", ".join(without)
        print(f"zoo bench: no benchmark in the registry for {skipped}; skipped", file=sys.stderr)
    entries = [entry for entry in entries if entry.benchmark is not None]
    if not entries:
        raise ValueError("none of the named families has a benchmark")
    return entries


def _writable_folder(folder):
    """``folder`` created if needed and checked writable; OSError otherwise."""
    path = Path(folder)
    try:
        (path / "results").mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path / "results"):
            pass
    except OSError as exc:
        raise OSError(f"cannot write to output folder {folder!r}: {exc.strerror or exc}") from None
    return path


def _integer(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _int_at_least(low):
    def parse(text):
        value = _integer(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {value}")
        return value

    return parse


def _n_jobs(text):
    value = _integer(text)
    if value == 0:
        raise argparse.ArgumentTypeError(
            "expected a non-zero integer (1: one job, -1: all cores), got 0"
        )
    return value


def _add_out_option(command):
    command.add_argument(
        "--out", default=DEFAULT_OUT, metavar="DIR", help=f"report folder (default {DEFAULT_OUT})"
    )


def _parser():
    parser = argparse.ArgumentParser(
        prog="zoo",
        description="The classic neural-network families: list them, show one, benchmark them "
        "beside their baselines and write the report.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the registered families").set_defaults(run=_list)
    info = commands.add_parser("info", help="a family's entry, hyperparameters and papers")
    info.add_argument("name")
    info.set_defaults(run=_info)
    bench = commands.add_parser(
        "bench",
        help="fit each family beside its baseline on its benchmark, then write the report",
        description=_bench.__doc__,
    )
    bench.add_argument("names", nargs="*", metavar="NAME", help="families to run (default: all)")
    bench.add_argument(
        "--quick", action="store_true", help="smaller budgets, a smoke test of every family"
    )
    bench.add_argument(
        "--n-jobs", type=_n_jobs, default=1, metavar="N",
        help="families run in parallel through joblib (-1: all cores; default 1)",
    )
    bench.add_argument(
        "--seed", type=_int_at_least(0), default=0, metavar="S",
        help="data split and random_state of every estimator (default 0)",
    )
    bench.add_argument(
        "--threads", type=_int_at_least(1), default=1, metavar="N",
        help="BLAS/OpenMP threads per run, zoo and baseline alike (default 1)",
    )
    _add_out_option(bench)
    bench.set_defaults(run=_bench)
    report = commands.add_parser(
        "report",
        help="rebuild the report from saved results, without refitting",
        description=_report.__doc__,
    )
    _add_out_option(report)
    report.set_defaults(run=_report)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status (2 for usage errors)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and the error
        return exc.code
    try:
        return args.run(args)
    except (ValueError, TypeError, OSError) as exc:
        print(f"zoo: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("zoo: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
