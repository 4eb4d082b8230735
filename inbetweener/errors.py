"""Errors meant for the animator: the message is one sentence saying what happened and what to do."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; its message is shown as is (CLI: exit 2, app: a message box)."""


class ImageError(UserError):
    """An image that cannot be read or does not fit the project."""


class ProjectFileError(UserError):
    """A project file that is missing, corrupt, hostile or from a newer version."""


class EngineError(UserError):
    """An engine that cannot run with the given input or settings."""


class ModelError(UserError):
    """Model weights that are missing, partial or unusable."""


class Cancelled(Exception):
    """A job was cancelled by the user; nothing it made reaches the document."""
