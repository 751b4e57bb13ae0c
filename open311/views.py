"""Open311 GeoReport v2 documents, built from storage: services, service requests, discovery, errors.

What a request shows: its code, category, status (open/closed, the detail in `status_notes`), agency and
dates. Never the citizen's name, phone, messenger id, address or description (free text often names
people), and no anonymous ticket at all. The place is shown only when the citizen agreed to publish it,
rounded to about 100 m.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from handlers.categories import categories, category_label
from handlers.i18n import translate
from storage.clock import VN_TZ, utcnow
from storage.models import Ticket
from storage.open_data import public_tickets, public_tickets_by_code
from storage.outcomes import is_open

MAX_DAYS = 90
MAX_REQUESTS = 1000
LOCATION_DECIMALS = 3  # about 110 m of latitude
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-01T00:00:00+07:00"


class BadRequest(ValueError):
    """A parameter the spec does not allow; answered with 400 in the spec's error format."""


def error(code: int, description: str) -> list[dict[str, Any]]:
    """The spec's error document."""
    return [{"code": code, "description": description}]


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(VN_TZ).isoformat(timespec="seconds")


def services(lang: str = "vi") -> list[dict[str, Any]]:
    """Every feedback category as a service (no extra attributes: `metadata` false)."""
    other = "en" if lang == "vi" else "vi"
    return [{"service_code": c.id, "service_name": c.label(lang), "description": c.label(other),
             "metadata": False, "type": "realtime", "keywords": None, "group": None} for c in categories()]


def service_definition(code: str) -> dict[str, Any] | None:
    """The definition of one service (no attributes), None when the code is unknown."""
    if all(c.id != code for c in categories()):
        return None
    return {"service_code": code, "attributes": []}


def request_document(ticket: Ticket, agency_names: dict[str, str], lang: str = "vi") -> dict[str, Any]:
    """One ticket as a service request, with nothing that identifies its citizen."""
    located = ticket.publish_location and ticket.latitude is not None and ticket.longitude is not None
    closed = not is_open(ticket.status)
    return {
        "service_request_id": ticket.code,
        "status": "closed" if closed else "open",
        "status_notes": translate(lang, f"status.{ticket.status}"),
        "service_name": category_label(ticket.category, lang),
        "service_code": ticket.category,
        "description": None,
        "agency_responsible": agency_names.get(ticket.agency_id or "", ticket.agency_id) if ticket.agency_id else None,
        "service_notice": None,
        "requested_datetime": _when(ticket.created_at),
        "updated_datetime": _when(ticket.closed_at if closed and ticket.closed_at else ticket.updated_at),
        "expected_datetime": _when(ticket.due_at),
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": round(ticket.latitude, LOCATION_DECIMALS) if located and ticket.latitude is not None else None,
        "long": round(ticket.longitude, LOCATION_DECIMALS) if located and ticket.longitude is not None else None,
        "media_url": None,
    }


def _moment(name: str, value: str | None) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        raise BadRequest(f"{name} must be a W3C date-time, e.g. 2026-11-01T00:00:00+07:00") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=VN_TZ)


@dataclass(frozen=True, slots=True)
class RequestQuery:
    """The filters of GET requests.json."""

    codes: list[str] | None
    service_codes: list[str] | None
    start: datetime
    end: datetime
    open_only: bool | None


def parse_query(params: dict[str, str], now: datetime | None = None) -> RequestQuery:
    """The spec's filters; BadRequest for a bad date, a range over 90 days, or an unknown status."""
    now = now or utcnow()
    codes = [c for c in params.get("service_request_id", "").split(",") if c.strip()] or None
    service_codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()] or None
    start, end = _moment("start_date", params.get("start_date")), _moment("end_date", params.get("end_date"))
    if start is None and end is None:
        end, start = now, now - timedelta(days=MAX_DAYS)
    elif start is None:
        assert end is not None
        start = end - timedelta(days=MAX_DAYS)
    elif end is None:
        end = min(now, start + timedelta(days=MAX_DAYS))
    if end < start:
        raise BadRequest("end_date is before start_date")
    if end - start > timedelta(days=MAX_DAYS):
        raise BadRequest(f"start_date and end_date may not span more than {MAX_DAYS} days")
    statuses = {s.strip().lower() for s in params.get("status", "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise BadRequest("status must be open, closed, or both separated by a comma")
    open_only = None if len(statuses) != 1 else statuses == {"open"}
    return RequestQuery(codes, service_codes, start.astimezone(UTC), end.astimezone(UTC), open_only)


def requests(session: Session, query: RequestQuery, agency_names: dict[str, str]) -> list[dict[str, Any]]:
    """The service requests that match; `service_request_id` overrides every other filter, as the spec says."""
    if query.codes is not None:
        tickets = public_tickets_by_code(session, query.codes[:MAX_REQUESTS])
    else:
        tickets = public_tickets(session, start=query.start, end=query.end, service_codes=query.service_codes,
                                 open_only=query.open_only, limit=MAX_REQUESTS)
    return [request_document(t, agency_names) for t in tickets]


def discovery(base_url: str, contact: str) -> dict[str, Any]:
    """The discovery document: where this endpoint is and what it speaks."""
    return {"changeset": CHANGESET, "contact": contact, "key_service": None,
            "endpoints": [{"specification": SPECIFICATION, "url": base_url, "changeset": CHANGESET,
                           "type": "production", "formats": ["application/json"]}]}
