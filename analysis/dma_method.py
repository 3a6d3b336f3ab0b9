"""The double-materiality model: IRO types, criteria and scales, scoring presets and thresholds.

Double materiality (ESRS 1 §43-51, GRI 3) is assessed on impacts, risks and opportunities
(IROs). Which criteria an IRO is rated on follows from its type and status:

=================  ========  =====================================================
type               status    criteria (each rated 1-5)
=================  ========  =====================================================
negative_impact    actual    scale, scope, irremediability
negative_impact    potential scale, scope, irremediability, likelihood
positive_impact    actual    scale, scope
positive_impact    potential scale, scope, likelihood
risk, opportunity  either    magnitude, likelihood
=================  ========  =====================================================

The scoring rule is chosen by a named preset (:class:`DmaMethod`); the thresholds that turn
scores into decisions are kept apart (:class:`DmaThresholds`), because a company sets them
itself and records who set them, when and why. ``docs/double-materiality.md`` explains both.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from analysis.method import MethodError

IRO_TYPES = ("negative_impact", "positive_impact", "risk", "opportunity")
IMPACT_TYPES = ("negative_impact", "positive_impact")
FINANCIAL_TYPES = ("risk", "opportunity")
IRO_STATUSES = ("actual", "potential")
CRITERIA = ("scale", "scope", "irremediability", "likelihood", "magnitude")
SEVERITY_CRITERIA = ("scale", "scope", "irremediability")
SCALE_MIN = 1
SCALE_MAX = 5
PRESETS = ("default", "max_override", "mean_max", "human_rights_weighted")

IroType = Literal["negative_impact", "positive_impact", "risk", "opportunity"]
IroStatus = Literal["actual", "potential"]
Preset = Literal["default", "max_override", "mean_max", "human_rights_weighted"]

# weights of severity and likelihood for potential negative human-rights impacts under the
# `human_rights_weighted` preset: (3 x severity + 1 x likelihood) / 4
HUMAN_RIGHTS_SEVERITY_WEIGHT = 3
HUMAN_RIGHTS_LIKELIHOOD_WEIGHT = 1


def describe_iro(iro_type: str, status: str) -> str:
    """An IRO's type and status in words: "an actual negative impact", "a potential risk"."""
    article = "an" if status == "actual" else "a"
    return f"{article} {status} {iro_type.replace('_', ' ')}"


def applicable_criteria(iro_type: str, status: str) -> tuple[str, ...]:
    """The criteria an IRO of this type and status is rated on, in the order of :data:`CRITERIA`.

    Raises ``ValueError`` for an unknown type or status.
    """
    if iro_type not in IRO_TYPES:
        raise ValueError(f"unknown IRO type {iro_type!r} (known: {', '.join(IRO_TYPES)})")
    if status not in IRO_STATUSES:
        raise ValueError(f"unknown IRO status {status!r} (known: {', '.join(IRO_STATUSES)})")
    if iro_type in FINANCIAL_TYPES:
        return ("magnitude", "likelihood")
    criteria = ["scale", "scope"]
    if iro_type == "negative_impact":
        criteria.append("irremediability")
    if status == "potential":
        criteria.append("likelihood")
    return tuple(criteria)


def criterion_problem(iro_type: str, status: str, criterion: str) -> str | None:
    """Why `criterion` cannot be rated for an IRO of this type and status, or ``None`` if it can.

    The message names the rule, e.g. "irremediability applies to negative impacts only; this
    IRO is a positive impact". Raises ``ValueError`` for an unknown type or status.
    """
    if criterion in applicable_criteria(iro_type, status):
        return None
    if criterion not in CRITERIA:
        return f"unknown criterion {criterion!r} (known: {', '.join(CRITERIA)})"
    this = f"this IRO is {describe_iro(iro_type, status)}"
    if criterion in ("scale", "scope"):
        return f"{criterion} applies to impacts only; {this}"
    if criterion == "irremediability":
        return f"irremediability applies to negative impacts only; {this}"
    if criterion == "magnitude":
        return f"magnitude applies to risks and opportunities only; {this}"
    return f"likelihood applies to potential impacts, risks and opportunities only; {this}"


class DmaMethod(BaseModel):
    """How criterion ratings become scores. Every field has a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # default | max_override | mean_max | human_rights_weighted (see `formulas`)
    preset: Preset = "default"
    # assessors whose ratings of one criterion differ by this many points or more are asked
    # to calibrate (unless a consensus value is set for the criterion)
    calibration_gap: int = Field(default=2, ge=1, le=SCALE_MAX - SCALE_MIN)

    def formulas(self) -> dict[str, str]:
        """The scoring rule of this method, in words, for the method record and the disclosure."""
        negative = "scale, scope, irremediability"
        positive = "scale, scope"
        severity = {
            "max_override": "5 if any of ({c}) is 5, else mean({c})",
            "mean_max": "(mean({c}) + max({c})) / 2",
        }.get(self.preset, "mean({c})")
        if self.preset == "human_rights_weighted":
            human_rights = (
                f"({HUMAN_RIGHTS_SEVERITY_WEIGHT} x severity + {HUMAN_RIGHTS_LIKELIHOOD_WEIGHT} x likelihood)"
                f" / {HUMAN_RIGHTS_SEVERITY_WEIGHT + HUMAN_RIGHTS_LIKELIHOOD_WEIGHT}"
            )
        else:
            human_rights = "severity (severity takes precedence over likelihood)"
        return {
            "criterion_value": (
                "mean of the assessors' ratings of the criterion; a consensus value set in calibration "
                "replaces it"
            ),
            "severity_negative_impact": severity.format(c=negative),
            "severity_positive_impact": severity.format(c=positive),
            "impact_score_actual": "severity",
            "impact_score_potential": "severity x likelihood / 5",
            "impact_score_potential_negative_human_rights": human_rights,
            "financial_score": "magnitude x likelihood / 5",
            "topic_scores": (
                "impact score = max over the topic's impacts; financial score = max over its risks and "
                "opportunities; positive and negative impacts are never netted; no IRO of a kind, no score"
            ),
            "decision": (
                "material = impact score >= impact threshold OR financial score >= financial threshold; "
                "the two scores are never averaged"
            ),
            "calibration": (
                f"an IRO is flagged for calibration when assessors' ratings of a criterion differ by "
                f"{self.calibration_gap} or more points and no consensus value is set for it"
            ),
            "range": (
                "low and high scores: every criterion at the lowest and highest rating any assessor gave "
                "(a consensus value fixes the criterion); a topic flips when it is material at the high "
                "end but not at the low end"
            ),
        }

    def as_dict(self) -> dict[str, Any]:
        return {"preset": self.preset, "calibration_gap": self.calibration_gap}


class DmaThresholds(BaseModel):
    """The company's thresholds on the score scale, one per axis; ``None`` is not set yet.

    An axis without a threshold cannot make anything material.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    impact: float | None = Field(default=None, ge=SCALE_MIN, le=SCALE_MAX, allow_inf_nan=False)
    financial: float | None = Field(default=None, ge=SCALE_MIN, le=SCALE_MAX, allow_inf_nan=False)

    def as_dict(self) -> dict[str, float | None]:
        return {"impact": self.impact, "financial": self.financial}

    def notes(self) -> list[str]:
        """What the missing thresholds mean for the decisions, in words."""
        return [
            f"no {axis} threshold is set: {axis} materiality cannot make a topic material"
            for axis, value in (("impact", self.impact), ("financial", self.financial))
            if value is None
        ]


def _validated(model: type[BaseModel], config: dict[str, Any] | None, source: str) -> Any:
    if config is None:
        return model()
    if not isinstance(config, dict):
        raise MethodError([f"{source}: expected a mapping of fields, got {type(config).__name__}"])
    try:
        return model.model_validate(config)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = ".".join(str(part) for part in item["loc"]) or "(top level)"
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "unknown field (known: " + ", ".join(model.model_fields) + ")"
            problems.append(f"{source}: field '{field}': {message}")
        raise MethodError(problems) from None


def dma_method_from_dict(
    config: dict[str, Any] | None, *, source: str = "double materiality method"
) -> DmaMethod:
    """Validate a method given as a mapping (a parsed method file section or a stored record);
    every problem names the source and the field (:class:`analysis.method.MethodError`)."""
    method: DmaMethod = _validated(DmaMethod, config, source)
    return method


def thresholds_from_dict(config: dict[str, Any] | None, *, source: str = "thresholds") -> DmaThresholds:
    """Validate thresholds given as a mapping ``{"impact": x, "financial": y}``."""
    thresholds: DmaThresholds = _validated(DmaThresholds, config, source)
    return thresholds


def method_record(method: DmaMethod, thresholds: DmaThresholds) -> dict[str, Any]:
    """What a result was computed with: the preset, the formulas in words, the scale and the
    thresholds, with a note for every threshold not set. JSON-ready."""
    return {
        **method.as_dict(),
        "scale": [SCALE_MIN, SCALE_MAX],
        "formulas": method.formulas(),
        "thresholds": thresholds.as_dict(),
        "notes": thresholds.notes(),
    }


# The labelled anchors of the 1-5 scale of each criterion (docs/double-materiality.md, section 3):
# the toolkit's suggested wording, shown beside every rating control and in the IRO-1 disclosure.
CRITERION_ANCHORS: dict[str, tuple[str, str, str, str, str]] = {
    "scale": ("minimal", "low", "medium", "high", "very high: life, health, basic rights"),
    "scope": (
        "isolated: a few people, one site",
        "limited: a group, a local area",
        "moderate: a region, a share of staff",
        "widespread: many sites or groups",
        "global or systemic",
    ),
    "irremediability": (
        "fully remedied quickly and cheaply",
        "remediable with modest effort",
        "remediable with substantial effort or time",
        "remediable only in part",
        "irreversible",
    ),
    "likelihood": ("remote", "unlikely", "possible", "likely", "very likely, or has occurred"),
    "magnitude": ("negligible", "minor", "moderate", "major", "critical, threatens the business model"),
}
CRITERION_QUESTIONS = {
    "scale": "How grave is the harm, or how great the benefit, for people or the environment?",
    "scope": "How widespread is the impact?",
    "irremediability": "How hard is the harm to put right?",
    "likelihood": "How likely is it to happen?",
    "magnitude": "How large would the financial effect be?",
}


def anchor_label(criterion: str, value: int) -> str:
    """`value` with its anchor, e.g. ``3 - medium``."""
    return f"{value} - {CRITERION_ANCHORS[criterion][value - SCALE_MIN]}"
