"""Everything to analyse an assessment, read in one transaction, and the versions a cache of
it is keyed on.

:func:`analysis_inputs` reads the assessment's data, last year's, the method in force and the
links issued per group and channel together; :func:`analyse_inputs` turns them into the
result. The command line calls both in turn; the app caches both on :func:`versions`, which
reads only what the cache keys need.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from analysis.channels import channel_stats_from
from analysis.method import MethodConfig, MethodError, load_method_file, method_from_dict
from analysis.pipeline import AnalysisResult, analyse
from core.aggregates import AssessmentData
from survey import reads
from survey.assessments import data_version, get_assessment, previous_assessment
from survey.db import transaction
from survey.methods import current_method, method_history
from survey.tracking import links_version, tracking


@dataclass(frozen=True)
class Method:
    """A method and where it came from.

    `source` is recorded with the result (``method.json``): ``{"kind": "stored"}``,
    ``{"kind": "defaults"}``, ``{"kind": "file", "file": name}``, ``{"kind": "app"}`` or
    ``{"kind": "what-if"}``. `label` names the method in error messages (None: not named).
    """

    config: MethodConfig
    source: dict[str, str]
    label: str | None = None

    def key(self) -> str:
        """The method as a string, for cache keys."""
        return json.dumps(
            {"config": self.config.as_dict(), "source": self.source, "label": self.label}, sort_keys=True
        )

    @classmethod
    def from_key(cls, key: str) -> Method:
        fields = json.loads(key)
        return cls(method_from_dict(fields["config"]), fields["source"], fields["label"])


def method_in_force(stored: dict[str, Any] | None, assessment_key: str) -> Method:
    """The assessment's stored method, else the defaults: the one way both faces label them."""
    if stored is None:
        return Method(MethodConfig(), {"kind": "defaults"}, "method")
    label = f"stored method of assessment '{assessment_key}'"
    return Method(method_from_dict(stored, source=label, record=True), {"kind": "stored"}, label)


def method_file(path: str) -> Method:
    """A method read from a YAML file (or the ``method.json`` of an earlier run), named as given."""
    return Method(load_method_file(path), {"kind": "file", "file": Path(path).name}, path)


def chosen_method(config: MethodConfig, *, kind: str = "app") -> Method:
    """A method chosen in the app (a variant, an earlier method, the defaults)."""
    return Method(config, {"kind": kind})


@dataclass(frozen=True)
class Versions:
    """What the app's caches of an assessment are keyed on, read together in one transaction.

    `data` changes with every response, withdrawal, status change or saved method; `links`
    with every link issued or deleted; `previous` is the key and data version of last year's
    assessment; `method` the stored method's configuration (None: the defaults). `status`
    comes with them, as a page shows it beside the results.
    """

    assessment_key: str
    status: str
    data: str
    links: str
    previous: tuple[str, str] | None
    method: dict[str, Any] | None

    def key(self, *, links: bool = True) -> str:
        """All of it as one string, for cache keys; without the links for what does not depend
        on them (the analysis)."""
        parts = [self.assessment_key, self.status, self.data, self.previous, self.method]
        return json.dumps([*parts, self.links] if links else parts, sort_keys=True, default=str)


def _versions(session: Session, assessment_key: str) -> Versions:
    assessment = get_assessment(session=session, key=assessment_key)
    earlier = previous_assessment(session=session, key=assessment_key)
    return Versions(
        assessment_key=assessment_key,
        status=assessment.status,
        data=data_version(session=session, assessment_key=assessment_key),
        links=links_version(session=session, assessment_key=assessment_key),
        previous=(earlier.key, data_version(session=session, assessment_key=earlier.key))
        if earlier
        else None,
        method=current_method(session=session, assessment_key=assessment_key),
    )


def versions(*, engine: Engine, assessment_key: str) -> Versions:
    """The versions of an assessment's data, links, last year's data and stored method."""
    with transaction(engine, write=False) as session:
        return _versions(session, assessment_key)


@dataclass(frozen=True)
class AnalysisInputs:
    """Everything the analysis and the report pack of an assessment need.

    `channel_stats` has the links issued and responses per group and channel (see
    :func:`analysis.channels.channel_stats_from`); `versions` were read in the same transaction,
    before the data, so the data is never older than they say.
    """

    data: AssessmentData
    previous: AssessmentData | None
    method: Method
    channel_stats: pd.DataFrame
    versions: Versions
    # who set the stored method's thresholds on the scale and when; when results could first be seen
    threshold_provenance: dict[str, Any] | None = None


def analysis_inputs(*, engine: Engine, assessment_key: str, method: Method | None = None) -> AnalysisInputs:
    """Read an assessment's analysis inputs in one transaction.

    `method` overrides the method in force (the stored method, else the defaults). A write
    transaction: responses submitted since the last read are folded into the summary tables.
    """
    with transaction(engine) as session:
        state = _versions(session, assessment_key)
        data = reads.load_assessment_data(session=session, assessment_key=assessment_key)
        previous = (
            reads.load_assessment_data(session=session, assessment_key=state.previous[0])
            if state.previous
            else None
        )
        channel_stats = channel_stats_from(data, tracking(session=session, assessment_key=assessment_key))
        chosen = method or method_in_force(state.method, assessment_key)
        provenance = _threshold_provenance(session, assessment_key, chosen)
    return AnalysisInputs(
        data=data,
        previous=previous,
        method=chosen,
        channel_stats=channel_stats,
        versions=state,
        threshold_provenance=provenance,
    )


def _threshold_key(config: dict[str, Any] | None) -> tuple:
    """What a method says about thresholds on the scale (for finding when they were set)."""
    tiering = (config or {}).get("tiering") or {}
    fixed = tiering.get("thresholds") if tiering.get("method") == "thresholds" else None
    return (tuple(fixed or ()), tiering.get("material_threshold"), tiering.get("not_material_tier", True))


def _threshold_provenance(session: Session, assessment_key: str, method: Method) -> dict[str, Any]:
    """Who set the thresholds of `method` and when: for the stored method, the oldest entry of
    the method log from which on they have been what they are now; for a file or a choice in
    the app, only where they came from. With when the first response arrived."""
    first = reads.first_response_at(session=session, assessment_key=assessment_key)
    provenance: dict[str, Any] = {"set_by": None, "set_at": None, "results_first_computed": first}
    if method.source.get("kind") != "stored":
        where = method.source.get("file") or method.source.get("kind")
        provenance["set_by"] = f"not recorded ({where})"
        return provenance
    history = method_history(session=session, assessment_key=assessment_key)
    current = _threshold_key(method.config.as_dict())
    for created_at, author, config in history[["created_at", "author", "config"]].itertuples(index=False):
        if _threshold_key(config) != current:
            break
        provenance.update(set_by=author, set_at=reads.iso_time(created_at))
    return provenance


def analyse_inputs(
    inputs: AnalysisInputs, method: Method | None = None, *, compare: bool = True
) -> AnalysisResult:
    """The result under `method` (default: the inputs' method), compared with last year's
    unless `compare` is False. A method that does not fit the data raises
    :class:`analysis.method.MethodError`, every problem prefixed with the method's label."""
    method = method or inputs.method
    try:
        return analyse(
            inputs.data,
            method.config,
            inputs.previous if compare else None,
            source=method.source,
            threshold_provenance=inputs.threshold_provenance if method is inputs.method else None,
        )
    except MethodError as error:
        if method.label is None:
            raise
        raise MethodError([f"{method.label}: {problem}" for problem in error.problems]) from None


@dataclass(frozen=True)
class TopicComments:
    """Respondents' comments on a topic: group, group_name and text; never which response a
    comment came from. `withheld`: comments of groups below the minimum group size."""

    comments: pd.DataFrame
    withheld: int


def topic_comments(
    *, engine: Engine, assessment_key: str, topic: str | None, min_group_size: int
) -> TopicComments:
    """The comments on `topic` (None: the topics respondents suggested we missed)."""
    with transaction(engine, write=False) as session:
        comments, withheld = reads.topic_comments(
            session=session, assessment_key=assessment_key, topic=topic, min_group_size=min_group_size
        )
    return TopicComments(comments, withheld)
