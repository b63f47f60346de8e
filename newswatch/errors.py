"""Errors that the CLI turns into one clear line and a non-zero exit."""

from __future__ import annotations


class NewswatchError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""

    exit_code = 1


class ConfigError(NewswatchError):
    """A configuration file is missing, malformed or invalid.

    The message always names the file, the place in it and what to do.
    """

    exit_code = 2

    def __init__(self, file: str, place: str, problem: str, fix: str = "") -> None:
        self.file = file
        self.place = place
        self.problem = problem
        self.fix = fix
        msg = f"{file}: {place}: {problem}"
        if fix:
            msg += f" (fix: {fix})"
        super().__init__(msg)


class InputError(NewswatchError):
    """Input given on the command line or API cannot be used (missing file, not HTML, ...)."""

    exit_code = 2


class FetchError(NewswatchError):
    """A URL could not be fetched (unreachable, refused, too large, bad status)."""

    exit_code = 3


class DeliveryFailed(NewswatchError):
    """Alerts could not be delivered (a bad token, an unreachable Slack, alerts that failed)."""

    exit_code = 5


class ServiceUnavailable(NewswatchError):
    """A service newswatch was told to use (Redis for the frontier or page stream) cannot be reached."""

    exit_code = 6
