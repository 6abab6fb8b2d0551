"""Exceptions raised on bad input. Every message names the file, key, shape or value at fault."""

from __future__ import annotations

__all__ = ["VsslibError", "DataError", "ParameterError", "CheckpointError"]


class VsslibError(Exception):
    """Base class of every error vsslib raises on purpose."""


class DataError(VsslibError, ValueError):
    """A dataset, frame, mask or prediction on disk is missing, unreadable or inconsistent."""


class ParameterError(VsslibError, ValueError):
    """A parameter (library argument, CLI option or notebook parameter) has an impossible value."""


class CheckpointError(VsslibError, FileNotFoundError):
    """A SAM2 checkpoint is missing or does not match its config."""
