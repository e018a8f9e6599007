"""``zoo bench``: fit each family beside its baseline on its registry benchmark, record
the numbers as JSON and write the report (``reports/README.md``, ``reports/index.html``).
"""

from .metrics import METRICS, Metric, get_metric, metric
from .report import load_records, write_report
from .runner import Settings, run, run_family

__all__ = [
    "METRICS", "Metric", "Settings", "get_metric", "load_records", "metric", "run",
    "run_family", "write_report",
]
