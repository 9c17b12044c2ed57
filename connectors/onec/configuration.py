"""Which 1C configuration a base runs, and so where each of salespipe's streams lives in it.

Forced by the setting (SALESPIPE_ONEC_CONFIGURATION=ut11|bp30|unf) or found: a configuration remembered
from the last run is confirmed with a few one-record probes (milliseconds), and only a base that no longer
fits it (or a first run) pays for reading $metadata (detect.py: ~20 s on a real base).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from connectors.errors import SourceError
from connectors.http import HttpClient
from connectors.onec import detect
from connectors.onec.answers import EntitySetMissing
from connectors.onec.profiles import CONFIGURATION_CHOICES, PROFILES, Place, Profile
from connectors.onec.streams import REQUIRED_STREAMS, STREAMS
from connectors.source import Discovery
from contract.records import StreamSpec

SETTING = "SALESPIPE_ONEC_CONFIGURATION"
COMPOSITION_HINT = (
    "add it to the OData composition (Администрирование → Настройка стандартного интерфейса OData)"
)


class Configuration:
    """The profile of one base: forced, or found on first need (`discover`)."""

    def __init__(self, http: HttpClient, base_url: str, setting: str = "auto"):
        if setting not in CONFIGURATION_CHOICES:
            raise ValueError(
                f"1C configuration must be one of {', '.join(CONFIGURATION_CHOICES)}, not {setting!r}"
            )
        self.http, self.base_url, self.setting = http, base_url, setting
        self.profile: Profile | None = PROFILES.get(setting)
        self.method = f"forced by {SETTING}" if self.profile else None
        self.found: tuple[str, ...] = ()  # of the sets any profile names, those the base has (when known)

    def discover(self, remembered: Mapping[str, Any] | None = None) -> Discovery:
        started = time.perf_counter()
        found: tuple[str, ...] = ()
        if self.setting != "auto":
            profile, method = PROFILES[self.setting], f"forced by {SETTING}"
        elif (profile := _remembered(remembered)) and detect.confirm(self.http, self.base_url, profile):
            method, found = "remembered from the last run, confirmed", tuple(remembered.get("sets_found", ()))
        else:
            detection = detect.detect(self.http, self.base_url)
            profile, found = detection.profile, detection.sets_found
            method = (
                "detected from $metadata" if detection.method == "metadata" else "detected by probing sets"
            )
        self.profile, self.method, self.found = profile, method, found
        seconds = time.perf_counter() - started
        absent = {name: f"{profile.label} has no such documents" for name in profile.absent_streams}
        summary = f"configuration {profile.label} ({profile.id}), {method} in {seconds:.1f} s"
        if absent:
            summary += f"; absent here: {', '.join(absent)}"
        memory = {"profile": profile.id, "sets_found": list(found)}
        return Discovery(profile.id, summary, absent, frozenset(REQUIRED_STREAMS), memory)

    def streams(self) -> tuple[StreamSpec, ...]:
        profile = self._profile()
        return tuple(
            replace(spec, entity_set=profile.places[spec.name].entity_set)
            for spec in STREAMS
            if spec.name in profile.places
        )

    def stream(self, name: str) -> StreamSpec:
        for spec in self.streams():
            if spec.name == name:
                return spec
        if name in {spec.name for spec in STREAMS}:
            raise ValueError(f"1C stream {name!r} is absent in {self._profile().label}")
        raise ValueError(f"1C has no stream {name!r}; known: {', '.join(s.name for s in STREAMS)}")

    def place(self, name: str) -> Place:
        return self._profile().places[name]

    def missing_set(self, spec: StreamSpec, err: EntitySetMissing) -> SourceError:
        """The base lacks a set its profile keeps a stream in: say which, for which profile, and the fix."""
        profile = self._profile()
        message = (
            f"no {spec.entity_set} in this base (1C code 6), where profile {profile.id} "
            f"({self.method}) keeps {spec.name}: {COMPOSITION_HINT}, or set {SETTING}"
        )
        if self.found:  # what detection saw, to tell a missing object from a wrong configuration
            message += f"; of the sets the profiles name, the base has: {', '.join(self.found)}"
        return EntitySetMissing(err.source, spec.name, err.url, message, err.status)

    def _profile(self) -> Profile:
        if self.profile is None:
            self.discover(None)
        assert self.profile is not None
        return self.profile


def _remembered(remembered: Mapping[str, Any] | None) -> Profile | None:
    return PROFILES.get(str(remembered.get("profile"))) if remembered else None
