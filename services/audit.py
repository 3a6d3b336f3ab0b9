"""The audit trail for the faces: who acts, the entries to list or export, the chain's check."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.engine import Engine

from survey import audit
from survey.db import transaction

FORMATS = ("text", "csv", "json")
COLUMNS = ["id", "at", "actor", "action", "object", "assessment", "before", "after", "hash"]


def use_command_line_actor(actor: str | None) -> None:
    """The name the command line's changes are recorded under (``--actor``)."""
    audit.set_command_line_actor(actor)


def use_actor_resolver(resolver: Callable[[], str | None] | None) -> None:
    """How the app names who acts: the signed-in account (None outside a signed-in run)."""
    audit.set_actor_resolver(resolver)


def require_accounts(required: bool) -> None:
    """In the app's server every change must come from an account allowed to make it."""
    audit.require_accounts(required)


def current_actor(explicit: str | None = None) -> str:
    return audit.current_actor(explicit)


def record_event(
    *,
    engine: Engine,
    action: str,
    object: str,
    actor: str | None = None,
    before: Any = None,
    after: Any = None,
    assessment: str | None = None,
) -> None:
    """Enter something that changes no other table (a sign-in, a failed one) in its own transaction."""
    with transaction(engine) as session:
        audit.record(
            session=session,
            actor=actor,
            action=action,
            object=object,
            before=before,
            after=after,
            assessment=assessment,
        )


def parse_since(text: str | None) -> datetime | None:
    """``2026-01-31`` (from midnight UTC) or an ISO time (UTC unless it names its zone)."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--since: '{value}' is no date; expected YYYY-MM-DD or an ISO time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def audit_rows(
    *, engine: Engine, assessment: str | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    """Entries in the order they were appended, as rows of :data:`COLUMNS`."""
    with transaction(engine, write=False) as session:
        return [audit.as_row(e) for e in audit.entries(session=session, assessment=assessment, since=since)]


def formatted_value(value: Any) -> str:
    """A before or after value as one line of text."""
    return _cell(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def formatted(rows: list[dict[str, Any]], fmt: str) -> str:
    """The rows as aligned text, CSV (cells that a spreadsheet would run as a formula are
    quoted with a leading apostrophe) or JSON."""
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in rows:
            cells = [_cell(row[c]) for c in COLUMNS]
            writer.writerow(["'" + c if c[:1] in ("=", "+", "-", "@", "\t", "\r") else c for c in cells])
        return out.getvalue()
    if fmt != "text":
        raise ValueError(f"--format: '{fmt}' is not one of {', '.join(FORMATS)}")
    lines = []
    for row in rows:
        change = ""
        if row["before"] is not None or row["after"] is not None:
            change = f"  {_cell(row['before']) or '-'} -> {_cell(row['after']) or '-'}"
        lines.append(
            f"{row['id']:>6}  {row['at'][:19]}Z  {row['actor']}  {row['action']}  {row['object']}{change}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


def verify(*, engine: Engine) -> tuple[int, list[str]]:
    """How many entries, and every break of the chain found."""
    with transaction(engine, write=False) as session:
        count, problems = audit.verify_chain(session=session)
    return count, [str(p) for p in problems]


def audit_files(*, engine: Engine, assessment: str) -> dict[str, bytes]:
    """The audit trail's part of an assessment's report pack: its entries as CSV and JSON, and
    the check of the whole chain (``audit-check.txt``) with the newest entry's hash, which an
    assurance provider can note down to see later whether the trail was rewritten."""
    rows = audit_rows(engine=engine, assessment=assessment)
    count, problems = verify(engine=engine)
    with transaction(engine, write=False) as session:
        newest = audit.entries(session=session)[-1:] if count else []
    lines = [
        f"Audit trail of the database: {count} entries.",
        f"Entries about assessment {assessment}: {len(rows)} (audit.csv, audit.json).",
        f"Newest entry: {newest[0].id}, hash {newest[0].hash}" if newest else "No entries yet.",
        "Hash chain: intact." if not problems else "Hash chain: BROKEN:",
        *[f"  {p}" for p in problems],
    ]
    return {
        "audit.csv": formatted(rows, "csv").encode("utf-8"),
        "audit.json": formatted(rows, "json").encode("utf-8"),
        "audit-check.txt": ("\n".join(lines) + "\n").encode("utf-8"),
    }
