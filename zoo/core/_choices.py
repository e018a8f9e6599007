"""Look-up of a named component with an error that lists the valid names."""

import difflib


def choose(kind, name, table):
    """Return ``table[name]``; an unknown name raises ValueError listing the valid ones."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} must be given by name (a str), got {type(name).__name__}")
    try:
        return table[name]
    except KeyError:
        close = difflib.get_close_matches(name, table, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(
            f"unknown {kind} {name!r}; valid: {', '.join(sorted(table))}.{hint}"
        ) from None
