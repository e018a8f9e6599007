"""The benchmark report, rebuilt from the JSON results alone (no refitting).

``write_report(out)`` reads ``out/results/*.json`` and writes ``out/README.md`` (a
summary table, one row per family, and a short section per family) and
``out/index.html`` (the same tables plus figures embedded as base64 PNG: the
learning curves drawn from the recorded ``loss_curve_`` and each family's own figures
saved by ``zoo bench``). Both are rendered from the same table rows, written in a
little Markdown (``code`` and **bold**) that the HTML writer converts.
"""

import base64
import html
import json
import re
from pathlib import Path

from . import figures
from .metrics import METRICS
from .runner import (
    RESULTS_DIR, RUN_FIELDS, SCHEMA_VERSION, fit_time_ratio, format_ratio, format_score,
)

ARROWS = {"higher": "↑", "lower": "↓"}
SIDES = ("zoo", "baseline")
RECORD_FIELDS = (
    "family", "cell", "title", "dataset", "dataset_options", "preprocess", "metric",
    "direction", "seed", "quick", "threads", "n_jobs", "versions", "machine", "date",
    "n_train", "n_test",
)
SUMMARY_HEADER = (
    "family", "cell", "dataset", "metric", "zoo", "baseline",
    "fit-time ratio zoo/baseline", "params zoo / baseline",
)
CSS = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
code { background: #f6f6f6; padding: 0 0.2rem; }
.note { background: #fff6d8; padding: 0.5rem 0.8rem; }
figure { display: inline-block; margin: 0.5rem 1rem 0.5rem 0; }
img { max-width: 100%; }
"""


def load_records(out):
    """The result records under ``out/results``, sorted by family name."""
    records = []
    for path in sorted((Path(out) / RESULTS_DIR).glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"cannot read benchmark result {path}: {exc}") from None
        missing = _missing_fields(record)
        if missing:
            raise ValueError(
                f"{path} is not a zoo bench result of schema {SCHEMA_VERSION} (it lacks "
                f"{', '.join(missing)}); delete it or rerun zoo bench for that family"
            )
        records.append(record)
    return records


def _missing_fields(record):
    if not isinstance(record, dict) or record.get("schema") != SCHEMA_VERSION:
        return ["schema"]
    missing = [key for key in RECORD_FIELDS if key not in record]
    for side in SIDES:
        run = record.get(side) if isinstance(record.get(side), dict) else {}
        missing += [f"{side}.{key}" for key in RUN_FIELDS if key not in run]
    return missing


def write_report(out):
    """Write ``README.md`` and ``index.html`` into ``out``; returns their paths and
    whether matplotlib was there to draw the figures."""
    out = Path(out)
    records = load_records(out)
    if not records:
        raise ValueError(f"no benchmark results in {out / RESULTS_DIR}; run zoo bench first")
    Figure = figures.figure_class()
    markdown_path, html_path = out / "README.md", out / "index.html"
    markdown_path.write_text(render_markdown(records), encoding="utf-8")
    html_path.write_text(render_html(records, out / RESULTS_DIR, Figure), encoding="utf-8")
    return markdown_path, html_path, Figure is not None


# ---------------------------------------------------------------- content


def header_paragraphs(records):
    """The report's opening paragraphs: what was run, how, and how to read it."""
    dates = sorted(record["date"] for record in records)
    paragraphs = [
        f"Written by `zoo bench` (rebuilt by `zoo report`) from {len(records)} result files "
        f"in `{RESULTS_DIR}/`, run between {dates[0]} and {dates[-1]}.",
        "Each family is fitted on its registry benchmark beside its baseline, one after the "
        "other in the same process, on the same split, under the same BLAS/OpenMP thread "
        "limit. Scores are on the test split (↑ higher is better, ↓ lower is better; the "
        "better of the two is in bold). The fit-time ratio is the zoo fit time over the "
        "baseline fit time (below 1: zoo is faster); it is the project's speed dashboard.",
        "Settings: " + "; ".join([
            _setting(records, "quick", lambda quick: "quick budgets" if quick else "full budgets"),
            _setting(records, "seed", lambda seed: f"seed {seed}"),
            _setting(records, "threads", lambda threads: f"{_threads(threads)} per run"),
            _setting(records, "n_jobs", lambda n_jobs: f"n_jobs {n_jobs}"),
        ]) + ". " + _environment(records) + ".",
    ]
    if any(record["n_jobs"] != 1 for record in records):
        paragraphs.append(
            "Runs were spread over parallel joblib workers, so their timings competed for "
            "the cores: the ratios, taken within one worker, are more telling than the "
            "absolute times."
        )
    if any(record["quick"] for record in records):
        paragraphs.append(
            "Quick budgets (`zoo bench --quick`) are smaller iteration counts for a smoke "
            "test: their scores are not the families' best."
        )
    paragraphs.append(
        "Peak memory is traced (tracemalloc) in a second scoring pass over the test split. "
        "Fit memory is not traced: tracing slows every numpy allocation and would distort "
        "the fit times."
    )
    failed = [record["family"] for record in records if not _all_ok(record)]
    if failed:
        paragraphs.append(
            f"{len(failed)} famil{'y' if len(failed) == 1 else 'ies'} had a failed run "
            f"({', '.join(failed)}): the errors are in their sections."
        )
    return paragraphs


def summary_rows(records):
    """One row per family under ``SUMMARY_HEADER``."""
    rows = []
    for record in records:
        zoo_run, baseline = record["zoo"], record["baseline"]
        rows.append([
            f"`{record['family']}`",
            record["cell"],
            record["dataset"],
            f"{record['metric']} {ARROWS.get(record['direction'], '')}".strip(),
            *_score_cells(record),
            format_ratio(fit_time_ratio(record)),
            f"{_count(zoo_run['n_params'])} / {_count(baseline['n_params'])}",
        ])
    return rows


def heading(record):
    return f"{record['family']}: {record['title']} ({record['cell']})"


def family_intro(record):
    """The sentence under a family's heading: data, metric, settings."""
    metric = METRICS.get(record["metric"])
    meaning = f": {metric.description}" if metric else ""
    sizes = (
        f"{record['n_train']} train / {record['n_test']} test samples, "
        if record["n_train"] is not None
        else ""
    )
    options = "".join(f", {key}={value}" for key, value in record["dataset_options"].items())
    budget = "quick" if record["quick"] else "full"
    return (
        f"Dataset `{record['dataset']}` ({sizes}preprocess {record['preprocess']}{options}); "
        f"metric `{record['metric']}` {ARROWS.get(record['direction'], '')}{meaning}. "
        f"{_info_fit_params(record)}"
        f"Seed {record['seed']}, {budget} budgets, {_threads(record['threads'])}, "
        f"run {record['date']}."
    )


def family_rows(record):
    """The two-column (zoo, baseline) table of one family."""
    zoo_run, baseline = record["zoo"], record["baseline"]
    fields = [
        ("estimator", lambda run: f"`{run['estimator']}`"),
        ("parameters", lambda run: _params(run["params"])),
        ("status", lambda run: run["status"]),
        ("fit time", lambda run: _seconds(run["fit_time"])),
        ("predict time", lambda run: _seconds(run["predict_time"])),
        ("parameters learnt", lambda run: _count(run["n_params"])),
        ("peak memory (predict)", lambda run: _mebibytes(run["predict_peak_mib"])),
        ("iterations", lambda run: "–" if run["n_iter"] is None else str(run["n_iter"])),
        ("fit time per iteration", _time_per_iteration),
    ]
    rows = [["score", *_score_cells(record)]]
    rows += [[label, show(zoo_run), show(baseline)] for label, show in fields]
    return rows


def _info_fit_params(record):
    """The sentence on the zoo fit's arguments from the dataset's info, if it had any."""
    taken = record.get("fit_params_from_info")  # absent from older records
    if not taken:
        return ""
    arguments = ", ".join(f"{keyword}=info[{key!r}]" for keyword, key in taken.items())
    return f"The zoo estimator is fitted with {_code(arguments)} of the dataset. "


def _time_per_iteration(run):
    """Fit time over ``n_iter_`` (epochs or learning steps), where both were recorded."""
    if not run["n_iter"] or run["fit_time"] is None:
        return "–"
    return _seconds(run["fit_time"] / run["n_iter"])


def family_notes(record):
    """Bullet points under a family's table: baseline note, errors, warnings, figure trouble."""
    notes = []
    if record["baseline"].get("note"):
        notes.append(f"Baseline: {record['baseline']['note']}")
    for side in SIDES:
        run = record[side]
        if run["error"]:
            notes.append(f"Error ({side}): {_code(run['error'])}")
        notes.extend(f"Warning ({side}): {_code(message)}" for message in run["warnings"])
    if record.get("figure_error"):
        notes.append(f"Figure: {_code(record['figure_error'])}")
    return notes


def _score_cells(record):
    cells = [
        format_score(record[side]["score"]) if record[side]["status"] == "ok" else "failed"
        for side in SIDES
    ]
    zoo_score, baseline_score = (record[side]["score"] for side in SIDES)
    if _all_ok(record) and record["direction"] in ("higher", "lower") and cells[0] != cells[1]:
        zoo_wins = (zoo_score > baseline_score) == (record["direction"] == "higher")
        winner = 0 if zoo_wins else 1
        cells[winner] = f"**{cells[winner]}**"
    return cells


def _all_ok(record):
    return all(record[side]["status"] == "ok" for side in SIDES)


def _setting(records, key, show):
    values = list(dict.fromkeys(show(record[key]) for record in records))
    return values[0] if len(values) == 1 else f"mixed ({', '.join(values)})"


def _environment(records):
    packages = {}
    for record in records:
        for package, version in record["versions"].items():
            packages.setdefault(package, {})[version] = None
    versions = ", ".join(f"{package} {'/'.join(found)}" for package, found in packages.items())
    machines = dict.fromkeys(
        f"{record['machine']['platform']} ({record['machine']['cpu_count']} CPUs)"
        for record in records
    )
    return f"{versions}; on {' and '.join(machines)}"


def _params(params):
    if not params:
        return "defaults"
    return _code(", ".join(f"{key}={value!r}" for key, value in params.items()))


def _threads(n):
    return f"{n} BLAS/OpenMP thread{'' if n == 1 else 's'}"


def _code(text):
    return "`" + str(text).replace("`", "'") + "`"


def _count(n):
    return "–" if n is None else f"{n:,}"


def _seconds(seconds):
    if seconds is None:
        return "–"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def _mebibytes(mib):
    return "–" if mib is None else f"{mib:.2f} MiB"


# ---------------------------------------------------------------- Markdown


def render_markdown(records):
    """``README.md``: readable on GitHub, no figures."""
    lines = ["# zoo benchmark report", ""]
    for paragraph in header_paragraphs(records):
        lines += [paragraph, ""]
    lines += [
        "Figures (learning curves, each family's own picture) are in `index.html`.", "",
        "## Summary", "",
        *_markdown_table(SUMMARY_HEADER, summary_rows(records)), "",
        "## Families", "",
    ]
    for record in records:
        lines += [f"### {heading(record)}", ""]
        lines += [family_intro(record), ""]
        lines += [*_markdown_table(("", *SIDES), family_rows(record)), ""]
        notes = family_notes(record)
        if notes:
            lines += [*(f"- {_one_line(note)}" for note in notes), ""]
    return "\n".join(lines)


def _markdown_table(header, rows):
    def line(cells):
        return "| " + " | ".join(_one_line(cell).replace("|", "\\|") for cell in cells) + " |"

    return [line(header), "|" + "---|" * len(header), *map(line, rows)]


def _one_line(text):
    return " ".join(str(text).split())


# ---------------------------------------------------------------- HTML


def render_html(records, results_dir, Figure):
    """``index.html``: one self-contained page, figures embedded as base64 PNG."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>zoo benchmark report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>zoo benchmark report</h1>",
        *(f"<p>{_inline(paragraph)}</p>" for paragraph in header_paragraphs(records)),
    ]
    if Figure is None:
        parts.append(
            '<p class="note">Figures need the <code>report</code> extra: '
            '<code>pip install "zoo[report]"</code>, then <code>zoo report</code> for the '
            "learning curves and <code>zoo bench</code> for the families' own figures.</p>"
        )
    parts += ["<h2>Summary</h2>", _html_table(SUMMARY_HEADER, summary_rows(records))]
    parts.append("<h2>Families</h2>")
    for record in records:
        parts += [
            f'<h3 id="{html.escape(record["family"])}">{_inline(heading(record))}</h3>',
            f"<p>{_inline(family_intro(record))}</p>",
            _html_table(("", *SIDES), family_rows(record)),
        ]
        notes = family_notes(record)
        if notes:
            parts.append("<ul>" + "".join(f"<li>{_inline(note)}</li>" for note in notes) + "</ul>")
        for png, caption in _figures(record, results_dir, Figure):
            parts.append(_html_figure(png, caption))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _figures(record, results_dir, Figure):
    """(PNG bytes, caption) of the family's learning curves and its own figures."""
    found = []
    if Figure is not None:
        curves = figures.learning_curves(record, Figure)
        if curves is not None:
            found.append((curves, "Training loss per epoch (loss_curve_)."))
    own = record.get("figure") or []  # one path, or a list for a list of hooks
    for relative in [own] if isinstance(own, str) else own:
        path = results_dir / relative
        if path.is_file():
            found.append((path.read_bytes(), f"The family's figure ({path.name})."))
    return found


def _html_figure(png, caption):
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _html_table(header, rows):
    head = "".join(f"<th>{_inline(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{_inline(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _inline(text):
    """The little Markdown of the report (``code`` and **bold**) as HTML."""
    escaped = html.escape(str(text), quote=False)
    escaped = re.sub(r"`([^`]*)`", r"<code>\1</code>", escaped)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
