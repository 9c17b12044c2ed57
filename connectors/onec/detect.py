"""Which 1C configuration a base runs (УТ 11, БП 3.0, УНФ): from its `$metadata`, or by probing its sets.

The entity sets a base publishes name its configuration: a profile (profiles.py) fits when one of its
markers and every set its required streams live in is there. `$metadata` lists all the sets in
one answer, but on a real base that answer is ~17 MB of CSDL and takes ~20 s, so it is parsed as it
arrives and nothing of it is kept but the set names. When it cannot be had (a timeout or a 5xx after
the client's retries, a body that is not XML or stops short) every set a profile names is probed with
`$top=1` instead: 1C answers a set it does not publish with 400, odata.error code 6. A wrong password
or a host that is down is no reason to probe (the probes would fail the same way): those propagate.

`confirm` is the cheap nightly check that a remembered profile still fits: a `$top=1` probe per set.
"""

from __future__ import annotations

import logging
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from urllib.parse import quote

from connectors.errors import AuthError, BadResponse, SourceError, Unreachable, one_line
from connectors.http import HttpClient
from connectors.onec.answers import EntitySetMissing
from connectors.onec.profiles import PROFILES, Profile

log = logging.getLogger("salespipe.onec")

SOURCE = "1C"
METADATA = "$metadata"
PROBE_STREAM = "detect"
FORCE_HINT = f"set SALESPIPE_ONEC_CONFIGURATION={'|'.join(PROFILES)} to force one"
# A verdict lists up to ~25 set names: longer than the usual one-line limit, and none of it is secret.
MESSAGE_LIMIT = 2000
_UNKNOWN_NAME = re.compile(r"\(code 6\)")  # connectors.errors.structured_error_text's "… (code 6)"
# Only objects have a Ref_Key to select. A register has none, and `$select=Ref_Key` on it answers
# code 6 too: "no such field" would read as "no such set".
_OBJECT_PREFIXES = ("Catalog_", "Document_", "ChartOf", "ExchangePlan_", "BusinessProcess_", "Task_")


@dataclass(frozen=True)
class Detection:
    profile: Profile
    method: str  # "metadata" | "probe"
    sets_found: tuple[str, ...]  # of the sets any profile names, those this base has (sorted)
    seconds: float


class UnknownConfiguration(SourceError):
    """No profile fits the base's entity sets, or more than one does. One line: the sets found, what each
    profile lacks, and the setting that forces a profile."""

    def __init__(self, source: str, stream: str, url: str, message: str, *args, **kwargs):
        super().__init__(source, stream, url, message, *args, **kwargs)
        self.message = one_line(message, limit=MESSAGE_LIMIT)
        self.args = (self.message,)

    def __str__(self) -> str:
        if not self.url:  # decided from a list of sets, not from a request
            return f"{self.source} stream={self.stream} : {self.message}"
        return super().__str__()


class MetadataUnreadable(ValueError):
    """The body of $metadata is not a complete CSDL document (not XML, cut short, no EntityContainer)."""


# ------------------------------------------------------------------------------------ the interface
def detect(http: HttpClient, base_url: str) -> Detection:
    """The profile of the base at `base_url` (…/odata/standard.odata/), from $metadata or else by probes.

    Raises UnknownConfiguration when no profile, or more than one, fits; AuthError and Unreachable as
    the client raised them; any other error of a probe as raised (a probe has no fallback)."""
    started, root = time.monotonic(), _root(base_url)
    try:
        sets = http.get_streamed(root + METADATA, stream=METADATA, read=entity_sets_from_metadata)
        method = "metadata"
    except (AuthError, Unreachable):
        raise
    except (SourceError, MetadataUnreadable) as err:
        log.warning("1C $metadata unusable, probing the profiles' entity sets instead: %s", err)
        sets, method = probe_entity_sets(http, root, candidate_sets()), "probe"
    found = tuple(sorted(set(candidate_sets()).intersection(sets)))
    profile = choose_profile(found, url=root + METADATA)
    return Detection(profile, method, found, time.monotonic() - started)


def confirm(http: HttpClient, base_url: str, profile: Profile) -> bool:
    """True while the base still has one of `profile`'s markers and every set its required streams live in
    (a `$top=1` probe each, stopping as soon as the answer is known); errors other than "absent" propagate."""
    root = _root(base_url)
    if not any(_set_exists(http, root, marker) for marker in profile.markers):
        absent = f"any of {', '.join(profile.markers)}"
    else:
        absent = next((name for name in profile.required_sets if not _set_exists(http, root, name)), None)
    if absent is not None:
        log.warning("1C: the base no longer has %s, which profile %s expects", absent, profile.id)
    return absent is None


def entity_sets_from_metadata(chunks: Iterable[bytes]) -> set[str]:
    """The names of the `<EntitySet>`s of every EntityContainer in a CSDL document fed in chunks, in any
    namespace. Each element is dropped once it ends, so memory stays flat whatever the document's size.
    Raises MetadataUnreadable when the chunks are not a whole XML document with an EntityContainer."""
    parser = ET.XMLPullParser(events=("start", "end"))
    collector = _SetNameCollector()
    try:
        for chunk in chunks:
            parser.feed(chunk)
            collector.take(parser.read_events())
        parser.close()  # a document that stops short fails here
        collector.take(parser.read_events())
    except ET.ParseError as err:
        raise MetadataUnreadable(f"$metadata is not a complete XML document ({err})") from None
    if not collector.containers:
        raise MetadataUnreadable("$metadata has no EntityContainer: not a CSDL document")
    return collector.names


def choose_profile(sets: Collection[str], *, url: str = "") -> Profile:
    """The one profile that has one of its markers and all its required sets in `sets`; else
    UnknownConfiguration (`url`: the request the sets came from, for the message). One marker is enough:
    an administrator often publishes only the objects needed, so a БП 3.0 base without its bank receipts
    in the OData composition is still БП 3.0."""
    present = set(sets)
    fitting = [profile for profile in PROFILES.values() if not _missing(profile, present)]
    if len(fitting) == 1:
        return fitting[0]
    raise UnknownConfiguration(SOURCE, METADATA, url, _verdict(fitting, present))


# ------------------------------------------------------------------------------------ the parts
def candidate_sets() -> tuple[str, ...]:
    """Every entity set any profile names (its streams' sets and its markers), sorted."""
    return tuple(sorted({name for p in PROFILES.values() for name in (*p.markers, *p.entity_sets)}))


def probe_entity_sets(http: HttpClient, base_url: str, names: Iterable[str]) -> set[str]:
    """Those of `names` the base publishes, one `$top=1` request each."""
    root = _root(base_url)
    return {name for name in names if _set_exists(http, root, name)}


def _set_exists(http: HttpClient, root: str, name: str) -> bool:
    params = {"$format": "json", "$top": 1}
    if name.startswith(_OBJECT_PREFIXES):
        params["$select"] = "Ref_Key"  # one short field: a probe should cost the base nothing
    try:
        http.get_json(root + quote(name, safe=""), params, stream=PROBE_STREAM)
    except EntitySetMissing:  # what onec_http_client makes of 1C's "no such name"
        return False
    except BadResponse as err:
        if _means_absent(err):
            return False
        raise
    return True


def _means_absent(err: BadResponse) -> bool:
    # A client without 1C's error classifier: 400 with code 6 ("Неизвестное имя"), or a 404 for the set.
    return err.status == 404 or (err.status == 400 and _UNKNOWN_NAME.search(err.message) is not None)


def _missing(profile: Profile, present: set[str]) -> list[str]:
    missing = [name for name in profile.required_sets if name not in present]
    if not present.intersection(profile.markers):
        missing.insert(0, f"one of {' / '.join(profile.markers)}")
    return missing


def _verdict(fitting: list[Profile], present: set[str]) -> str:
    found = sorted(present.intersection(candidate_sets()))
    if fitting:
        head = f"the base fits more than one configuration profile ({', '.join(p.id for p in fitting)})"
    else:
        misses = "; ".join(f"{p.id} lacks {', '.join(_missing(p, present))}" for p in PROFILES.values())
        head = f"no configuration profile fits the base ({misses})"
    # None at all: the URL is not the publication's root, or nothing is in its OData composition.
    has = ", ".join(found) if found else "none (is the URL the standard.odata root, are the sets published?)"
    return f"{head}; of the sets the profiles name it has: {has} — {FORCE_HINT}"


def _root(base_url: str) -> str:
    return base_url if base_url.endswith("/") else base_url + "/"


class _SetNameCollector:
    """Takes XMLPullParser events: keeps EntitySet names, drops every element once it has ended."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.containers = 0
        self._open: list[ET.Element] = []  # the path from the root to the element being read

    def take(self, events: Iterable[tuple[str, ET.Element]]) -> None:
        for event, element in events:
            if event == "start":
                local = _local_name(element.tag)
                if local == "EntitySet" and self._in_container() and element.get("Name"):
                    self.names.add(element.get("Name"))
                elif local == "EntityContainer":
                    self.containers += 1
                self._open.append(element)
                continue
            self._open.pop()
            element.clear()
            if self._open:  # every earlier sibling is gone already, so this is the parent's only child
                self._open[-1].remove(element)

    def _in_container(self) -> bool:
        return bool(self._open) and _local_name(self._open[-1].tag) == "EntityContainer"


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2]
