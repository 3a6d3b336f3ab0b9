"""The audit trail: every change, appended to a hash chain that `materiality check` verifies.

Each entry holds the SHA-256 of the entry before it (its ``hash``, taken over the entry's
canonical JSON: keys sorted, no spaces, UTF-8) and its own hash. The newest entry's number and
hash are also kept in ``app_setting`` (:data:`HEAD_SETTING`), which every append updates in the
same transaction. So an entry edited in place no longer matches its hash; one inserted or
deleted breaks the numbering or the chain; and the newest one deleted or replaced no longer
matches the head. (Someone who can rewrite the whole table *and* the head can forge a new chain;
an exported log, or the head's hash written down elsewhere, shows that too.)

Appends are serialised by the head row: PostgreSQL locks it (``SELECT ... FOR UPDATE``),
SQLite's write transactions run one at a time anyway.

Who acted: services pass ``actor``; when they do not, :func:`current_actor` asks the resolver
the app registered (the signed-in account), then the command line's ``--actor``, then
``MATERIALITY_ACTOR``, then the operating-system user.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from survey import accounts_roles
from survey.models import AppSetting, AuditEntry, table_of, utcnow
from survey.settings import get_settings

HEAD_SETTING = "audit_head"
GENESIS = "0" * 64
OBJECT_LENGTH = 500

_actor_resolver: Callable[[], str | None] | None = None
_command_line_actor: str | None = None
_accounts_only = False


def require_accounts(required: bool) -> None:
    """In the app every change must come from an account whose role allows it (the command
    line, run by whoever holds the database, may act under any name)."""
    global _accounts_only
    _accounts_only = required


def set_actor_resolver(resolver: Callable[[], str | None] | None) -> None:
    """Register how the running face names the person acting (the app: the signed-in account)."""
    global _actor_resolver
    _actor_resolver = resolver


def set_command_line_actor(actor: str | None) -> None:
    global _command_line_actor
    _command_line_actor = actor.strip() if actor and actor.strip() else None


def current_actor(explicit: str | None = None) -> str:
    """Who is acting: `explicit`, else the face's resolver, ``--actor``, ``MATERIALITY_ACTOR``,
    the OS user."""
    if explicit and explicit.strip():
        return explicit.strip()
    resolved = _actor_resolver() if _actor_resolver is not None else None
    if resolved:
        return resolved
    if _command_line_actor:
        return _command_line_actor
    configured = get_settings().actor
    if configured and configured.strip():
        return configured.strip()
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (e.g. in a container)
        return "os:unknown"


def _plain(value: Any) -> Any:
    """`value` as JSON would give it back (dates as ISO text, tuples as lists)."""

    def default(item: Any) -> Any:
        if isinstance(item, datetime | date):
            return item.isoformat()
        if isinstance(item, set | frozenset):
            return sorted(item, key=str)
        return str(item)

    return None if value is None else json.loads(json.dumps(value, default=default))


def _time_text(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite hands naive UTC back through some paths
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(entry: AuditEntry) -> bytes:
    """The bytes an entry's hash is taken over: every field but the hash, as canonical JSON."""
    fields = {
        "id": entry.id,
        "at": _time_text(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "object": entry.object,
        "assessment": entry.assessment,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def _head(session: Session) -> tuple[int, str]:
    """The newest entry's number and hash, locked for this transaction."""
    statement = select(AppSetting).where(AppSetting.key == HEAD_SETTING).with_for_update()
    row = session.scalar(statement)
    if row is None:
        dialect = session.connection().dialect.name
        insert_fn = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            insert_fn(table_of(AppSetting))
            .values(key=HEAD_SETTING, value=f"0:{GENESIS}", updated_at=utcnow())
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = session.scalar(statement.execution_options(populate_existing=True))
        assert row is not None
    number, _, digest = row.value.partition(":")
    return int(number), digest


def record(
    *,
    session: Session,
    actor: str | None,
    action: str,
    object: str,
    before: Any = None,
    after: Any = None,
    assessment: str | None = None,
) -> AuditEntry:
    """Append one entry to the audit trail in `session`'s transaction (so it is kept exactly
    when the change it describes is). `action` is a dotted name such as ``method.save``;
    `object` says what was changed (``assessment 2020``); `before` and `after` are
    JSON-able values (dicts, lists, text, numbers). `actor` None: :func:`current_actor`.

    Raises :class:`survey.accounts_roles.AccessDenied` when the actor's role may not do
    `action`; the caller's transaction then rolls back, change and all."""
    who = current_actor(actor)[:320]
    refused = accounts_roles.refusal(session, who, action, accounts_only=_accounts_only)
    if refused:
        raise accounts_roles.AccessDenied(refused)
    number, previous = _head(session)
    entry = AuditEntry(
        id=number + 1,
        at=utcnow(),
        actor=who,
        action=action[:64],
        object=object[:OBJECT_LENGTH],
        assessment=assessment,
        before=_plain(before),
        after=_plain(after),
        prev_hash=previous,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    head = session.get(AppSetting, HEAD_SETTING)
    assert head is not None
    head.value = f"{entry.id}:{entry.hash}"
    head.updated_at = entry.at
    session.flush()
    return entry


# --- reading and verifying ---------------------------------------------------------------------


def entries(
    *, session: Session, assessment: str | None = None, since: datetime | None = None
) -> Sequence[AuditEntry]:
    """Entries in the order they were appended, optionally of one assessment and from a time on."""
    statement = select(AuditEntry).order_by(AuditEntry.id)
    if assessment is not None:
        statement = statement.where(AuditEntry.assessment == assessment)
    if since is not None:
        statement = statement.where(AuditEntry.at >= since)
    return session.scalars(statement).all()


@dataclass(frozen=True)
class ChainProblem:
    entry: int | None
    message: str

    def __str__(self) -> str:
        return f"entry {self.entry}: {self.message}" if self.entry is not None else self.message


def _batches(session: Session, size: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        batch = session.scalars(
            select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id).limit(size)
        ).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].id


def verify_chain(*, session: Session, shown: int = 5) -> tuple[int, list[ChainProblem]]:
    """How many entries there are, and every break in the chain (at most `shown` named)."""
    problems: list[ChainProblem] = []
    expected_id, previous, count = 1, GENESIS, 0
    for entry in _batches(session):
        count += 1
        if entry.id != expected_id:
            problems.append(ChainProblem(entry.id, f"expected entry {expected_id}: entries are missing"))
        if entry.prev_hash != previous:
            problems.append(
                ChainProblem(entry.id, "does not follow the entry before it (inserted, or one deleted)")
            )
        if entry_hash(entry) != entry.hash:
            problems.append(ChainProblem(entry.id, "was changed after it was written (its hash differs)"))
        expected_id, previous = entry.id + 1, entry.hash
    head = session.scalar(select(AppSetting.value).where(AppSetting.key == HEAD_SETTING))
    if head is None:
        if count:
            problems.append(ChainProblem(None, "the head of the audit trail is missing"))
    else:
        number, _, digest = head.partition(":")
        if number != str(expected_id - 1) or digest != previous:
            problems.append(
                ChainProblem(
                    None,
                    f"the newest entry should be {number} with hash {digest[:12]}…, the table ends "
                    f"at {expected_id - 1}: entries at the end were deleted or replaced",
                )
            )
    return count, problems[:shown] + (
        [ChainProblem(None, f"... and {len(problems) - shown} more")] if len(problems) > shown else []
    )


def as_row(entry: AuditEntry) -> dict[str, Any]:
    """An entry as a flat row for text, CSV and JSON listings."""
    return {
        "id": entry.id,
        "at": _time_text(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "object": entry.object,
        "assessment": entry.assessment,
        "before": entry.before,
        "after": entry.after,
        "hash": entry.hash,
    }
