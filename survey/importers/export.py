"""What every format reader produces: the columns of an export with their roles, and the
answers of each response, with personal data already removed.

A format module describes the header (:class:`Layout`): which rows are headers, what each
column is called and what the tool's own columns mean. :func:`build_export` then applies the
mapping file, drops personal data, checks response ids and keeps the cells the import needs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

from survey.importers.mapping import ImportMapping
from survey.importers.problems import Problems, column_letter, shown, shown_name
from survey.importers.reading import Grid


class Role(StrEnum):
    response_id = "response_id"
    group = "group"
    channel = "channel"
    submitted_at = "submitted_at"
    last_action = "last_action"  # when an unfinished response was last saved (LimeSurvey)
    language = "language"
    topic = "topic"  # a rating column (wide) or the topic key column (long)
    dimension = "dimension"  # long format: the dimension column
    value = "value"  # long format: the value column
    question = "question"  # an answer column not (yet) matched to a topic
    status = "status"  # the tool's own status column (previews, tests)
    meta = "meta"  # the tool's own bookkeeping (dates, progress, seeds ...)
    personal = "personal"  # names, e-mails, IP addresses, locations: never kept
    ignored = "ignored"


@dataclass
class SourceColumn:
    """One column of an export. `names` are every name a mapping may use for it, `id` first."""

    position: int
    id: str
    label: str = ""
    names: tuple[str, ...] = ()
    role: Role = Role.question
    topic: str | None = None
    dimension: str | None = None
    mapped: bool = False  # placed by the mapping file, not guessed
    timezone: str | None = None  # of times written without an offset

    def __post_init__(self) -> None:
        names = [self.id, *self.names]
        self.names = tuple(dict.fromkeys(n for n in names if n))

    @property
    def letter(self) -> str:
        return column_letter(self.position)

    @property
    def shown(self) -> str:
        name = shown_name(self.id) if self.id else "(no header)"
        return f"{name} ({self.letter})"


@dataclass
class Layout:
    """How a format's header reads. `columns` come with the roles the tool's own columns have."""

    header_rows: int
    columns: list[SourceColumn]
    shape: str = "wide"  # "wide": one row per response; "long": one row per rating
    generated_ids: bool = False  # the tool exports no response id: derive one from the row
    excluded_values: frozenset[str] = frozenset()  # status values of rows to leave out
    excluded_reason: str = ""
    not_answered: frozenset[str] = frozenset()  # answers meaning "not asked / not answered"
    headers_are_topics: bool = False  # wide: every other column must be a topic key
    unfinished_without_submit_time: bool = False  # an empty submission time marks an unfinished response


@dataclass
class ParsedExport:
    """An export read and checked as far as possible without the assessment.

    `responses` has one row per response (``row`` = spreadsheet row, ``source_response_id``
    and the raw ``group``/``channel``/``submitted_at``/``language`` cells where the export has
    them); `cells` holds the answer columns (wide shape, keyed by column position, aligned with
    `responses`) or the ``topic``/``dimension``/``value`` columns of every rating row (long
    shape, with ``row`` and ``source_response_id``). Personal data is not in either.
    """

    filename: str
    format: str
    format_detected: bool
    encoding: str | None
    encoding_note: str  # the encoding and why it was used, as said to the user
    mapping: ImportMapping
    mapping_name: str | None
    layout: Layout
    columns: list[SourceColumn]
    responses: pd.DataFrame
    cells: pd.DataFrame
    problems: Problems
    n_excluded: int = 0
    n_unfinished: int = 0  # unfinished responses left out (mapping 'unfinished: skip')
    n_unfinished_kept: int = 0  # unfinished responses kept, timed by their last action
    n_without_group: int = 0  # rows with an empty group answer left out ('skip_empty_group')
    n_default_group: int = 0  # rows with an empty group answer given the 'default_group'
    constants: dict[str, str] = field(default_factory=dict)  # group/channel given by the mapping

    @property
    def shape(self) -> str:
        return self.layout.shape

    @property
    def source(self) -> str:
        """The response source the import records: responses are matched by it and their id."""
        survey = f":{self.mapping.survey}" if self.mapping.survey else ""
        return f"import:{self.format}{survey}"

    def columns_with(self, *roles: Role) -> list[SourceColumn]:
        return [c for c in self.columns if c.role in roles]

    @property
    def personal_columns(self) -> list[str]:
        return [
            c.id if c.label in ("", c.id) else f"{c.id} ({c.label})" for c in self.columns_with(Role.personal)
        ]

    def preview(self, rows: int = 10) -> pd.DataFrame:
        """The first rows as the import reads them (no personal data), for a person to check."""
        out = self.responses.head(rows).copy()
        if self.shape == "wide":
            for column in self.columns_with(Role.topic, Role.question):
                if column.position in self.cells:
                    out[column.id] = self.cells[column.position].head(rows).to_numpy()
        else:
            out = out.join(self.cells.head(rows)[["topic", "dimension", "value"]])
        return out.reset_index(drop=True)


# --- personal data -------------------------------------------------------------------------------

_PERSONAL = {
    "email",
    "emailaddress",
    "mail",
    "recipientemail",
    "participantemail",
    "name",
    "firstname",
    "lastname",
    "fullname",
    "surname",
    "givenname",
    "familyname",
    "recipientfirstname",
    "recipientlastname",
    "participantname",
    "respondentname",
    "ip",
    "ipaddress",
    "ipaddr",
    "latitude",
    "longitude",
    "locationlatitude",
    "locationlongitude",
    "locationaccuracy",
    "location",
    "geolocation",
    "phone",
    "phonenumber",
    "mobile",
    "telephone",
    "address",
    "postaladdress",
    "token",
    "accesstoken",
    "externalreference",
    "externaldatareference",
    "refurl",
    "referrerurl",
    "姓名",
    "名字",
    "名称",
    "电子邮件",
    "电子邮件地址",
    "电子邮箱",
    "邮箱",
    "电话",
    "手机",
    "手机号码",
    "ip地址",
    "位置",
    "地址",
    # the parts of an address, as contact-information questions name their fields
    "street",
    "streetaddress",
    "address1",
    "address2",
    "addressline1",
    "addressline2",
    "city",
    "town",
    "citytown",
    "stateprovince",
    "zip",
    "zipcode",
    "postalcode",
    "postcode",
    "zippostalcode",
    "邮编",
    "邮政编码",
    "街道",
    "城市",
    "详细地址",
}
_CUSTOM_DATA = re.compile(r"^customdata\d*$")
# a question that asks for a person's own details, e.g. "Please enter your address [Street]"
_ASKS_FOR_DETAILS = re.compile(
    r"\b(?:your|ihre?|votre|vos|su|tu)\s+(?:(?:full|home|postal|mailing|e-?mail|street)\s+)?"
    r"(?:e-?mail|address|adresse|dirección|name|nom|phone|telephone|mobile|postal code|zip code)\b"
    r"|\b(?:postal|zip|post)\s*code\b|\bstreet address\b",
    re.IGNORECASE,
)


def _normalised(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


def looks_personal(column: SourceColumn) -> bool:
    """A column whose name, or the row label of its grid question, says it holds names, e-mail
    or postal addresses, phone numbers, IP addresses or locations; or a question asking for the
    respondent's own address, name, e-mail or phone."""
    for name in (column.id, column.label, *column.names):
        for part in (name, sub_label(name) or ""):
            key = _normalised(part)
            if key and (key in _PERSONAL or _CUSTOM_DATA.match(key)):
                return True
        if _ASKS_FOR_DETAILS.search(name):
            return True
    return False


# --- building -------------------------------------------------------------------------------------


def find_column(columns: list[SourceColumn], name: str) -> list[SourceColumn]:
    """Columns a mapping's `name` refers to: by id, then by any of their names, then ignoring case."""
    name = name.strip()
    for matches in (
        [c for c in columns if c.id == name],
        [c for c in columns if name in c.names],
        [c for c in columns if name.casefold() in (n.casefold() for n in c.names)],
    ):
        if matches:
            return matches
    return []


def build_export(
    grid: Grid,
    layout: Layout,
    *,
    format: str,
    format_detected: bool,
    mapping: ImportMapping,
    mapping_name: str | None,
    problems: Problems,
) -> ParsedExport:
    columns = layout.columns
    where = mapping_name or "mapping"
    body = grid.cells.iloc[layout.header_rows :]
    body = body[(body != "").any(axis=1)]
    if body.empty:
        problems.add("the file has no responses below its header rows")

    def resolve(field_name: str, name: str) -> SourceColumn | None:
        matches = find_column(columns, name)
        if not matches:
            problems.add(f"{where}: field '{field_name}': the file has no column {shown(name)}")
            return None
        if len(matches) > 1:
            listed = ", ".join(c.shown for c in matches[:5])
            problems.add(f"{where}: field '{field_name}': {shown(name)} matches several columns: {listed}")
            return None
        return matches[0]

    def assign(role: Role, field_name: str, name: str | None) -> None:
        if not name:
            return
        column = resolve(field_name, name)
        if column is None:
            return
        for other in columns:
            if other.role == role and other is not column:
                other.role = Role.meta
        column.role = role
        column.mapped = True

    assign(Role.response_id, "response_id", mapping.response_id)
    assign(Role.submitted_at, "submitted_at", mapping.submitted_at)
    if mapping.group or mapping.group_column:
        for other in columns_with(columns, Role.group):
            other.role = Role.meta
    assign(Role.group, "group_column", mapping.group_column)
    if mapping.channel or mapping.channel_column:
        for other in columns_with(columns, Role.channel):
            other.role = Role.meta
    assign(Role.channel, "channel_column", mapping.channel_column)

    if layout.shape == "wide":
        for name, target in mapping.topics.items():
            column = resolve(f"topics.{name}", name)
            if column is None:
                continue
            if column.mapped:
                problems.add(
                    f"{where}: field 'topics.{name}': column {column.shown} is already the {column.role}"
                )
                continue
            column.role = Role.topic
            column.topic = target.topic
            column.dimension = target.dimension
            column.mapped = True
        if mapping.topics:
            for column in columns_with(columns, Role.question):
                column.role = Role.ignored
    for name in mapping.ignore:
        column = resolve("ignore", name)
        if column is not None and not column.mapped:
            column.role = Role.ignored
    for name in mapping.personal:
        column = resolve("personal", name)
        if column is not None:
            if column.mapped:
                problems.add(f"{where}: field 'personal': column {column.shown} is also the {column.role}")
            column.role = Role.personal
    for column in columns:
        if not column.mapped and column.role != Role.personal and looks_personal(column):
            column.role = Role.personal

    rows = body.index.to_numpy()
    responses = pd.DataFrame({"row": rows})
    id_column = _single(columns, Role.response_id)
    if id_column is None and not layout.generated_ids:
        problems.add("missing required column 'response_id' (name it in the mapping: response_id: COLUMN)")
    elif id_column is not None and id_column.role == Role.personal:
        problems.add(f"the response id column {id_column.shown} holds personal data: choose another one")
    if id_column is not None:
        ids = body[id_column.position].str.strip()
    elif layout.generated_ids:
        ids = _row_fingerprints(body, [c.position for c in columns if c.role != Role.personal])
    else:
        ids = pd.Series([""] * len(body), index=body.index)
    responses["source_response_id"] = ids.to_numpy()

    constants = {}
    if mapping.group:
        constants["group"] = mapping.group
    elif _single(columns, Role.group) is None:
        problems.add(
            "the export does not say which stakeholder group answered: add a 'group' column, or set "
            "'group' (one group for the whole file) or 'group_column' in the mapping"
        )
    if mapping.channel:
        constants["channel"] = mapping.channel
    for role in (Role.group, Role.channel, Role.submitted_at, Role.language):
        column = _single(columns, role)
        if column is not None:
            responses[role.value] = body[column.position].str.strip().to_numpy()

    n_excluded = 0
    status = _single(columns, Role.status)
    if status is not None and layout.excluded_values:
        keep = ~body[status.position].str.strip().isin(layout.excluded_values).to_numpy()
        n_excluded = int((~keep).sum())
        if n_excluded:
            body = body[keep]
            responses = responses[keep].reset_index(drop=True)
    counts = {}
    body, responses, counts["unfinished"], counts["unfinished_kept"] = _unfinished(
        body, responses, columns, layout, mapping, problems
    )
    body, responses, counts["without_group"], counts["default_group"] = _empty_groups(
        body, responses, mapping
    )

    if layout.shape == "wide":
        if id_column is not None:
            _check_unique_ids(responses, id_column, problems)
        kept = [c.position for c in columns if c.role in (Role.topic, Role.question)]
        cells = body[kept].reset_index(drop=True)
    else:
        cells = pd.DataFrame({"row": responses["row"], "source_response_id": responses["source_response_id"]})
        for role in (Role.topic, Role.dimension, Role.value):
            column = _single(columns, role)
            if column is None:
                if role != Role.dimension:
                    problems.add(f"missing required column '{role.value}'")
                cells[role.value] = ""
            else:
                cells[role.value] = body[column.position].str.strip().to_numpy()
        _check_long_rows(responses, id_column, problems)

    return ParsedExport(
        filename=grid.filename,
        format=format,
        format_detected=format_detected,
        encoding=grid.encoding,
        encoding_note=grid.encoding_note,
        mapping=mapping,
        mapping_name=mapping_name,
        layout=layout,
        columns=columns,
        responses=responses,
        cells=cells,
        problems=problems,
        n_excluded=n_excluded,
        n_unfinished=counts["unfinished"],
        n_unfinished_kept=counts["unfinished_kept"],
        n_without_group=counts["without_group"],
        n_default_group=counts["default_group"],
        constants=constants,
    )


def _unfinished(
    body: pd.DataFrame,
    responses: pd.DataFrame,
    columns: list[SourceColumn],
    layout: Layout,
    mapping: ImportMapping,
    problems: Problems,
) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """Responses the tool marks as unfinished (no submission time): left out, or with
    ``unfinished: include`` kept with the time of their last action as their submission time."""
    if not layout.unfinished_without_submit_time or "submitted_at" not in responses:
        return body, responses, 0, 0
    unfinished = (responses["submitted_at"] == "").to_numpy()
    if not unfinished.any():
        return body, responses, 0, 0
    if mapping.unfinished == "skip":
        return body[~unfinished], responses[~unfinished].reset_index(drop=True), int(unfinished.sum()), 0
    last_action = _single(columns, Role.last_action)
    if last_action is None:
        problems.add(
            "'unfinished: include' needs the time of the last action (LimeSurvey's 'Date last action', "
            "exported when the survey is date-stamped)"
        )
        return body, responses, 0, 0
    times = body[last_action.position].str.strip().to_numpy()
    responses = responses.copy()
    responses.loc[unfinished, "submitted_at"] = times[unfinished]
    for row in responses.loc[unfinished & (times == ""), "row"].head(20):
        problems.add(
            "an unfinished response without a time of its last action", row=int(row), column=last_action.shown
        )
    return body, responses, 0, int(unfinished.sum())


def _empty_groups(
    body: pd.DataFrame, responses: pd.DataFrame, mapping: ImportMapping
) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """Rows whose group answer is empty: given ``default_group``, or left out with
    ``skip_empty_group``; otherwise they stay and are reported as errors."""
    if "group" not in responses or not (mapping.default_group or mapping.skip_empty_group):
        return body, responses, 0, 0
    empty = (responses["group"] == "").to_numpy()
    if not empty.any():
        return body, responses, 0, 0
    if mapping.skip_empty_group:
        return body[~empty], responses[~empty].reset_index(drop=True), int(empty.sum()), 0
    responses = responses.copy()
    responses.loc[empty, "group"] = mapping.default_group
    return body, responses, 0, int(empty.sum())


def columns_with(columns: list[SourceColumn], *roles: Role) -> list[SourceColumn]:
    return [c for c in columns if c.role in roles]


def _single(columns: list[SourceColumn], role: Role) -> SourceColumn | None:
    found = columns_with(columns, role)
    return found[0] if found else None


def _row_fingerprints(body: pd.DataFrame, positions: list[int]) -> pd.Series:
    """A stable id for a row of a tool that exports none: a hash of its non-personal cells."""
    ids = [
        "row-" + hashlib.sha256("\x1f".join(map(str, cells)).encode("utf-8")).hexdigest()[:16]
        for cells in body[positions].itertuples(index=False, name=None)
    ]
    return pd.Series(ids, index=body.index, dtype=object)


def _check_unique_ids(responses: pd.DataFrame, id_column: SourceColumn, problems: Problems) -> None:
    ids = responses["source_response_id"]
    empty = (ids == "").to_numpy()
    for row in responses["row"][empty].head(20):
        problems.add("the response id is empty", row=int(row), column=id_column.shown)
    if empty.sum() > 20:
        problems.add(f"{int(empty.sum()) - 20} more rows have an empty response id")
    too_long = (ids.str.len() > 200).to_numpy()
    for row, value in zip(responses["row"][too_long], ids[too_long], strict=True):
        problems.add(
            f"response id {shown(value)} is longer than 200 characters", row=int(row), column=id_column.shown
        )
    repeated = ids.duplicated(keep=False).to_numpy() & ~empty
    if repeated.any():
        groups = responses[repeated].groupby("source_response_id", sort=False)["row"]
        for value, rows in groups:
            listed = ", ".join(str(r) for r in rows.tolist()[:5])
            problems.add(
                f"duplicate response id {shown(value)} inside the file (rows {listed})",
                row=int(rows.iloc[1]),
                column=id_column.shown,
            )


def _check_long_rows(responses: pd.DataFrame, id_column: SourceColumn | None, problems: Problems) -> None:
    """Long shape: every row needs a response id, and one response keeps one group."""
    shown_column = id_column.shown if id_column else None
    empty = (responses["source_response_id"] == "").to_numpy()
    for row in responses["row"][empty].head(20):
        problems.add("the response id is empty", row=int(row), column=shown_column)
    if "group" in responses and len(responses):
        groups = responses[~empty].groupby("source_response_id", sort=False)["group"].nunique()
        for value in groups[groups > 1].index[:20]:
            rows = responses.loc[responses["source_response_id"] == value, "row"]
            problems.add(
                f"response {shown(value)} is given different groups (rows {', '.join(map(str, rows[:5]))})",
                row=int(rows.iloc[1]),
            )


def sub_label(header: str) -> str | None:
    """The row label of a grid question header such as ``Question text [Row]``."""
    match = re.search(r"\[([^\[\]]+)\]\s*$", header)
    return match.group(1).strip() if match else None
