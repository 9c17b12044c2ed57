"""Operator-facing problems as one line each: a full disk, a read-only home, a locked warehouse.

DuckDB and the OS report these deep in a stack, sometimes behind a second error (a rollback that fails
after the disk filled up reports "no transaction is active"); `explain` walks the exception chain to
the cause an operator can act on and says what to do, naming the path.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path


class RunRefused(RuntimeError):
    """The run cannot start here (the home cannot be written, the warehouse is locked): one line."""


class HomeBusy(RunRefused):
    """Another run holds the home's lock."""


_LOCKED = re.compile(r"Could not set lock on file \"?([^\"]+?)\"?:.*?PID (\d+)", re.S)
_MESSAGES = (
    (errno.ENOSPC, "No space left on device", "no space left on the device holding {where}: free some space"),
    (
        errno.EROFS,
        "Read-only file system",
        "{where} is on a read-only file system: point SALESPIPE_HOME at a writable folder",
    ),  # fmt: skip
    (errno.EACCES, "Permission denied", "no permission to write {where}: check the folder's owner and mode"),
    (errno.EDQUOT, "Disk quota exceeded", "the disk quota is used up for {where}: free some space"),
    (errno.EEXIST, "File exists", "{where} is a file, not a folder: point SALESPIPE_HOME at a folder"),
    (
        errno.ENOTDIR,
        "Not a directory",
        "{where} is under a file, not a folder: point SALESPIPE_HOME at a folder",
    ),  # fmt: skip
)


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def explain(exc: BaseException, where: Path | str) -> str:
    """One line for an operator; falls back to the error's own first line."""
    for cause in _chain(exc):
        text = str(cause)
        code = getattr(cause, "errno", None)
        place = getattr(cause, "filename", None) or where
        for number, phrase, message in _MESSAGES:
            if code == number or phrase in text:
                return message.format(where=place)
        locked = _LOCKED.search(text)
        if locked:
            return (
                f"the warehouse {locked.group(1)} is open in another process (pid {locked.group(2)}):"
                " wait for it or stop it"
            )
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:400]
