"""The analysis method: every choice that turns ratings into tiers, in one configuration.

A method is read from a YAML file, from the method stored with an assessment, or taken from
the defaults below. It is written out with every result (``method.json``) together with a
fingerprint of the input data and the toolkit version, so a result can always be traced to
the data and the choices that produced it.

Example file (every field optional; these are the defaults)::

    group_weighting: equal        # equal | respondents | explicit
    group_weights: {}             # explicit only: group -> percent (0 removes a group)
    tiering:
      method: jenks               # jenks | kmeans | gmm | thresholds | quantiles
      n_tiers: 2                  # 2: high, material; 3: high, material, low
      not_material_tier: true     # below material_threshold (surely): "not material"
      material_threshold: null    # on the rating scale; null: the scale's midpoint
    interval_level: 0.95
    resamples: 1000
    seed: 2020
    min_group_size: 5
    minority_gap: 0.5
    minority_fdr: 0.05
    top_box_points: 2
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

TIERING_METHODS = ("jenks", "kmeans", "gmm", "thresholds", "quantiles")


class MethodError(ValueError):
    """A method configuration that cannot be used; the message names the source and field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class TieringConfig(BaseModel):
    """How topics are sorted into tiers (see :class:`analysis.tiers.MaterialityTiers`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["jenks", "kmeans", "gmm", "thresholds", "quantiles"] = "jenks"
    n_tiers: Literal[2, 3] = 2
    # "thresholds": cut points on the combined score, ascending, one fewer than tiers
    thresholds: list[float] | None = None
    # "quantiles": cumulative shares of topics below each cut, ascending (default equal shares)
    quantiles: list[float] | None = None
    # "kmeans" and "gmm": restarts of the fit on the data
    n_init: int = Field(default=10, ge=1, le=100)
    # "gmm": shape of the mixture components
    covariance_type: Literal["full", "tied", "diag", "spherical"] = "full"
    # a topic whose combined score is surely below this is "not material" (None: the scale's midpoint)
    material_threshold: float | None = None
    # False: no "not material" tier (every scored topic is in one of the n_tiers tiers)
    not_material_tier: bool = True

    @model_validator(mode="after")
    def _check_parameters(self) -> TieringConfig:
        cuts = self.n_tiers - 1
        if self.method == "thresholds":
            if self.thresholds is None:
                raise ValueError(f"method 'thresholds' needs 'thresholds': {cuts} cut point(s)")
            if len(self.thresholds) != cuts or sorted(self.thresholds) != list(self.thresholds):
                raise ValueError(
                    f"'thresholds' must hold {cuts} ascending cut point(s) for {self.n_tiers} tiers, "
                    f"got {self.thresholds}"
                )
        elif self.thresholds is not None:
            raise ValueError("'thresholds' is only used with method 'thresholds'")
        if self.quantiles is not None:
            if self.method != "quantiles":
                raise ValueError("'quantiles' is only used with method 'quantiles'")
            ordered = sorted(self.quantiles) == list(self.quantiles)
            if len(self.quantiles) != cuts or not ordered or not all(0 < q < 1 for q in self.quantiles):
                raise ValueError(
                    f"'quantiles' must hold {cuts} ascending share(s) between 0 and 1, got {self.quantiles}"
                )
        return self

    def cut_quantiles(self) -> list[float]:
        """The quantile cut points in effect (equal shares unless given)."""
        if self.quantiles is not None:
            return list(self.quantiles)
        return [i / self.n_tiers for i in range(1, self.n_tiers)]


class MethodConfig(BaseModel):
    """Every choice of the analysis. All fields have defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # equal: mean of group means; respondents: mean over respondents; explicit: group_weights
    group_weighting: Literal["equal", "respondents", "explicit"] = "equal"
    # explicit only: group key -> percent; per dimension the listed groups sum to 100
    group_weights: dict[str, float] = Field(default_factory=dict)
    tiering: TieringConfig = Field(default_factory=TieringConfig)
    interval_level: float = Field(default=0.95, gt=0.5, lt=1.0)
    resamples: int = Field(default=1000, ge=100, le=100_000)
    seed: int = Field(default=2020, ge=0, lt=2**63)
    min_group_size: int = Field(default=5, ge=1)
    # a group's mean at least this far above the overall score (scale points) is a minority view
    minority_gap: float = Field(default=0.5, gt=0)
    # false discovery rate of the minority flags (Benjamini-Hochberg over all groups and topics)
    minority_fdr: float = Field(default=0.05, gt=0, lt=1)
    # the top-box share counts ratings in this many top scale points
    top_box_points: int = Field(default=2, ge=1)

    @model_validator(mode="after")
    def _check_weights(self) -> MethodConfig:
        if self.group_weighting == "explicit":
            if not self.group_weights:
                raise ValueError("group_weighting 'explicit' needs 'group_weights' (group: percent)")
            negative = sorted(g for g, w in self.group_weights.items() if not w >= 0)
            if negative:
                raise ValueError(f"group weights must be 0 or more; check {', '.join(negative)}")
        elif self.group_weights:
            raise ValueError("'group_weights' is only used with group_weighting 'explicit'")
        return self

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with the tiering parameters that apply to the chosen method only."""
        tiering: dict[str, Any] = {"method": self.tiering.method, "n_tiers": self.tiering.n_tiers}
        if not self.tiering.not_material_tier:
            tiering["not_material_tier"] = False
        if self.tiering.material_threshold is not None:
            tiering["material_threshold"] = self.tiering.material_threshold
        if self.tiering.method == "thresholds":
            tiering["thresholds"] = list(self.tiering.thresholds or [])
        if self.tiering.method == "quantiles" and self.tiering.quantiles is not None:
            tiering["quantiles"] = list(self.tiering.quantiles)
        if self.tiering.method in ("kmeans", "gmm"):
            tiering["n_init"] = self.tiering.n_init
        if self.tiering.method == "gmm":
            tiering["covariance_type"] = self.tiering.covariance_type
        return {
            "group_weighting": self.group_weighting,
            "group_weights": dict(sorted(self.group_weights.items())),
            "tiering": tiering,
            "interval_level": self.interval_level,
            "resamples": self.resamples,
            "seed": self.seed,
            "min_group_size": self.min_group_size,
            "minority_gap": self.minority_gap,
            "minority_fdr": self.minority_fdr,
            "top_box_points": self.top_box_points,
        }


def _problems(error: ValidationError, source: str) -> list[str]:
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field (known: " + ", ".join(_known_fields(item["loc"])) + ")"
        problems.append(f"{source}: field '{field}': {message}")
    return problems


def _known_fields(loc: tuple) -> list[str]:
    model: type[BaseModel] = TieringConfig if loc and loc[0] == "tiering" and len(loc) > 1 else MethodConfig
    return list(model.model_fields)


def method_from_dict(
    config: dict[str, Any] | None, *, source: str = "method", record: bool = False
) -> MethodConfig:
    """Validate a method given as a mapping (a parsed file or a stored configuration).

    With ``record=True`` the descriptive keys of a method record (fingerprint, version, ...)
    are ignored, so a ``method.json`` written with a result can be read back as a method.
    """
    if config is None:
        return MethodConfig()
    if not isinstance(config, dict):
        raise MethodError([f"{source}: expected a mapping of method fields, got {type(config).__name__}"])
    fields = {k: v for k, v in config.items() if not (record and k in RECORD_ONLY_KEYS)}
    if record and fields.get("group_weighting", "equal") != "explicit":
        fields.pop("group_weights", None)  # a record lists the weights in effect, e.g. equal ones
    try:
        return MethodConfig.model_validate(fields)
    except ValidationError as error:
        raise MethodError(_problems(error, source)) from None


# Keys a method record carries besides the configuration; ignored when a record is read back.
RECORD_ONLY_KEYS = frozenset(
    {
        "assessment",
        "year",
        "business_group_weights",
        "combined_score",
        "stakeholder_importance",
        "business_significance",
        "top_box",
        "interval",
        "draws",
        "p_tier",
        "minority",
        "suppression",
        "groups_left_out",
        "threshold_record",
        "comparison",
        "effective_n",
        "changes",
        "natural_break",
        "small_cells_left_out",
        "dont_know",
        "fingerprint",
        "previous_assessment",
        "previous_fingerprint",
        "toolkit_version",
        "source",
    }
)


def load_method_file(path: str | Path) -> MethodConfig:
    """Read a YAML method file (or the ``method.json`` of an earlier run); every problem names
    the file and the field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MethodError([f"{path}: method file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MethodError([f"{path}: cannot read the method file ({exc})"]) from None
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise MethodError([f"{path}: not valid YAML{where}: {problem}"]) from None
    if parsed is None:
        return MethodConfig()
    # the method.json of an earlier run reads back as its method
    record = isinstance(parsed, dict) and "fingerprint" in parsed and "toolkit_version" in parsed
    return method_from_dict(parsed, source=str(path), record=record)


def flat_settings(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A method (or method record) as one level of settings: nested fields named with dots
    ("tiering.method"), in the record's order. An empty mapping is a setting of its own, ``{}``."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flat_settings(value, f"{name}."))
        else:
            flat[name] = value
    return flat
