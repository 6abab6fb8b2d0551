"""Exceptions raised on bad input. Every message names the file, key, shape or value at fault."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["VsslibError", "DataError", "ParameterError", "CheckpointError", "require_columns"]


class VsslibError(Exception):
    """Base class of every error vsslib raises on purpose."""


class DataError(VsslibError, ValueError):
    """A dataset, frame, mask or prediction on disk is missing, unreadable or inconsistent."""


class ParameterError(VsslibError, ValueError):
    """A parameter (library argument, CLI option or notebook parameter) has an impossible value."""


class CheckpointError(VsslibError, FileNotFoundError):
    """A SAM2 checkpoint is missing or does not match its config."""


def require_columns(table: Any, columns: Iterable[str], what: str, *,
                    error: type[VsslibError] = DataError) -> None:
    """Raise ``error`` naming the columns ``table`` (a DataFrame) lacks, and those it has, unless it has all."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise error(f"{what}: the table lacks the column(s) {missing} (has {list(table.columns)})")
