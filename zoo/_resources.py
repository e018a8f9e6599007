"""Where the package's data files are: inside an installed wheel or in a source checkout."""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_path(name):
    """Path of ``registry.yaml`` or ``datasets`` whether zoo is installed or run from a checkout."""
    installed = _PACKAGE_DIR / "_data" / name
    if installed.exists():
        return installed
    return _PACKAGE_DIR.parent / name
