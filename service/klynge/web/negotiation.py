"""Choose a representation from an ``Accept`` header (RFC 9110 §12.5.1), q-values respected.

Every router offers its media types in order of preference and takes the one the client weights highest;
on a tie, the router's order decides, so ``*/*`` gets the router's first offer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    """One element of an Accept header: ``type/subtype`` (either may be ``*``) and its weight."""

    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """How closely this range names a media type: 2 exactly, 1 by ``type/*``, 0 by ``*/*``, -1 not at all."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0 if self.subtype == "*" else -1
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def essence(media_type: str) -> str:
    """``text/csv; charset=utf-8`` → ``text/csv``."""
    return media_type.split(";", 1)[0].strip().lower()


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed elements are skipped, a malformed q counts as 0."""
    ranges = []
    for element in header.split(","):
        media_type, *parameters = element.split(";")
        kind, slash, sub = essence(media_type).partition("/")
        if not slash or not kind or not sub:
            continue
        q = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(kind, sub, q))
    return ranges


def quality(ranges: list[MediaRange], media_type: str) -> float:
    """The weight the client gives a media type: that of the most specific range naming it, else 0."""
    best = max(((r.specificity(media_type), r.q) for r in ranges), default=(-1, 0.0))
    return best[1] if best[0] >= 0 else 0.0


def best_match(accept: str | None, offers: list[str]) -> str | None:
    """The offer the client weights highest (the earlier offer on a tie); None when it accepts none of them.

    A missing or empty Accept header accepts anything.
    """
    if not offers:
        return None
    if accept is None or not accept.strip():
        return offers[0]
    ranges = parse_accept(accept)
    weighted = [(quality(ranges, essence(offer)), -index, offer) for index, offer in enumerate(offers)]
    q, _, offer = max(weighted)
    return offer if q > 0 else None
