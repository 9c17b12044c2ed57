"""1C's own answers that mean more than their HTTP status: "this entity set does not exist here".

1C answers a request for a set its configuration lacks with 400 and odata.error code 6 ("Сегмент пути …
не найден" / "Неизвестное имя"), some publications with 404. Told apart from other 400s, that answer is what
lets a stream be absent (skipped and recorded) instead of failed, and detection probe a set cheaply.
"""

from __future__ import annotations

import json

import requests

from connectors.errors import SourceError, one_line

UNKNOWN_NAME_CODE = "6"


# The message may list the sets the base has (what detection saw): longer than the usual one-line limit.
MESSAGE_LIMIT = 1500


class EntitySetMissing(SourceError):
    """The base has no such entity set (1C: 400, code 6; or 404 for the set itself)."""

    def __init__(self, source: str, stream: str, url: str, message: str, *args, **kwargs):
        super().__init__(source, stream, url, message, *args, **kwargs)
        self.message = one_line(message, limit=MESSAGE_LIMIT)
        self.args = (self.message,)


def odata_error(response: requests.Response) -> tuple[str | None, str | None]:
    """(code, message) of a 1C odata.error body, or (None, None) when the body is something else."""
    try:
        body = json.loads(response.content.decode(response.encoding or "utf-8", errors="replace"))
    except ValueError:
        return None, None
    error = body.get("odata.error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None
    message = error.get("message")
    text = message.get("value") if isinstance(message, dict) else message
    code = error.get("code")
    return (str(code) if code is not None else None), (str(text) if text is not None else None)


def classify_onec_error(response: requests.Response, phrase: str) -> tuple[type[SourceError], str] | None:
    """For HttpClient: an unknown-name answer becomes EntitySetMissing; anything else the default."""
    if response.status_code not in (400, 404):
        return None
    code, text = odata_error(response)
    if code == UNKNOWN_NAME_CODE:
        return EntitySetMissing, f"{phrase}: 1C code {code}: {text}"
    return None
