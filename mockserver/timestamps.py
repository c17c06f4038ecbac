"""RFC 3339 timestamps written and read the one safe way.

Written: always four-digit years (``strftime("%Y")`` writes year 631 as ``631``, which no
parser reads back) and always UTC. Read: a client's timestamp that cannot be converted to
UTC within years 1 to 9999 (``0001-01-01T00:00:00+01:00``) is a ValueError, which the
caller turns into its API's 400, never an OverflowError and a 500.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


def iso(moment: datetime, *, millis: bool = False) -> str:
    """An RFC 3339 UTC timestamp ending in Z, with microseconds or milliseconds."""
    moment = to_utc(moment)
    fraction = f"{moment.microsecond // 1000:03d}" if millis else f"{moment.microsecond:06d}"
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.{fraction}Z")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def to_utc(moment: datetime) -> datetime:
    """`moment` in UTC (a naive one is taken as UTC); ValueError past year 1 or 9999."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"{moment.isoformat()} is out of range in UTC") from None


def parse_timestamp(text: str, *, naive_is_utc: bool = False) -> datetime:
    """An RFC 3339 / ISO 8601 timestamp as an aware UTC datetime.

    ValueError when it is not one, when it has no time zone (unless `naive_is_utc`), or
    when it falls outside years 1 to 9999 in UTC.
    """
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a timestamp")
    moment = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    if moment.tzinfo is None and not naive_is_utc:
        raise ValueError(f"{text!r} has no time zone")
    return to_utc(moment)


def shifted(moment: datetime, delta: timedelta) -> datetime:
    """`moment` + `delta`, held at the last (or first) representable instant."""
    try:
        return moment + delta
    except OverflowError:
        return datetime.max.replace(tzinfo=moment.tzinfo) if delta > timedelta(0) else \
            datetime.min.replace(tzinfo=moment.tzinfo)
