"""Where a rotating OAuth refresh token lives between runs (amoCRM: single-use refresh tokens).

amoCRM revokes a refresh token the moment it issues the next pair (docs/sources/amocrm.md). So the new
pair must reach the disk — complete, durable, readable only by us — before anything else happens, or a crash
locks the pipeline out until someone re-authorizes the integration by hand.

    store = FileTokenStore(home / "secrets" / "amocrm_tokens.json", initial_refresh_token=env_value)
    store.load()   # the file if it exists, else {"refresh_token": initial}, else None
    with store.exclusive():   # one refresh at a time, across processes (two runs, a backfill, …)
        store.load(); …; store.save({"access_token": …, "refresh_token": …, "expires_at": …})

The window that remains: amoCRM has revoked the old token once it *sends* the answer, and we own the
new one only once `save()` has renamed the file into place. A crash (or a lost response) in between —
one network round trip plus a few milliseconds of fsync — leaves only a revoked token on disk. No
client can close that window; the refresh runs only when the access token is rejected or missing,
so it is opened about once a day, and the error then says exactly what to do.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

FILE_MODE = 0o600
DIR_MODE = 0o700


class TokenStore(Protocol):
    def load(self) -> dict[str, Any] | None: ...

    def save(self, tokens: dict[str, Any]) -> None: ...

    def exclusive(self): ...  # a context manager: no other holder until it exits


class TokenFileError(Exception):
    """The token file exists but cannot be used. The message never quotes the file's content."""


class FileTokenStore:
    def __init__(self, path: str | os.PathLike, initial_refresh_token: str | None = None):
        self.path = Path(path)
        self._initial = initial_refresh_token

    def __repr__(self) -> str:  # never show the token
        return f"FileTokenStore({str(self.path)!r})"

    def load(self) -> dict[str, Any] | None:
        """The saved tokens; the initial refresh token only while no file exists (the first run)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"refresh_token": self._initial} if self._initial else None
        try:
            tokens = json.loads(text)
        except ValueError:
            tokens = None
        if not isinstance(tokens, dict) or not isinstance(tokens.get("refresh_token"), str):
            raise TokenFileError(
                f"{self.path} is not a token file with a refresh_token; re-authorize and delete it"
            )
        return tokens

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the token file's lock (`flock` on a sibling `.lock` file) until the block exits.

        A refresh spends the saved refresh token: two runs refreshing at once would both send it, and
        amoCRM would revoke the pair the first one was given. Under this lock the second run re-reads the
        file and finds the first one's fresh access token instead. The lock file holds no secret.
        """
        self._ensure_dir()
        fd = os.open(self.path.with_name(f".{self.path.name}.lock"), os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released when the descriptor closes, even on a crash
            yield
        finally:
            os.close(fd)

    def _ensure_dir(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        os.chmod(self.path.parent, DIR_MODE)  # mkdir's mode is masked by umask and skipped if it exists

    def save(self, tokens: dict[str, Any]) -> None:
        """Replace the file atomically: a temp file in the same directory, fsync, rename, fsync the dir.

        A reader (or a crash) sees the old file or the new one, never half of one.
        """
        self._ensure_dir()
        # mkstemp creates the file 0600 from the start: the token is never world-readable, not even briefly.
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(tokens, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _fsync_dir(self.path.parent)  # the rename itself must survive a power cut


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms cannot open a directory; the rename is still atomic there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
