"""Ordered materiality tiers: an estimator in the scikit-learn style.

`MaterialityTiers` sorts topics, given as matrix coordinates ``(business_significance,
stakeholder_importance)``, into ordered tiers: ``high`` and ``material`` (``low`` with three).
Tier 0 is always the most material. Methods:

- ``jenks`` (default): optimal one-dimensional breaks of the combined score (the mean of the
  two axes), i.e. the partition into contiguous classes with the least within-class sum of
  squares, found exactly by dynamic programming (Fisher 1958, "On grouping for maximum
  homogeneity", JASA 53:789-798; Jenks 1977; the same optimum as ckmeans.1d.dp, Wang & Song
  2011). A cut lies halfway between the classes it separates.
- ``quantiles``: cuts at quantiles of the combined score (equal shares by default).
- ``thresholds``: fixed cut points on the combined score.
- ``kmeans`` / ``gmm``: k-means or a Gaussian mixture on the two coordinates; clusters are
  ordered by the combined score of their centres. Their boundary is not a line of constant
  combined score, so ``thresholds_`` is empty.

"Not material": with a ``material_threshold`` on the scale (the default method uses the midpoint
of the rating scale), a topic whose combined score is below it is "not material" and the tiers
above are drawn among the other topics. The rule is cautious: given the upper ends of the topics'
combined-score intervals, a topic is not material only when its interval lies wholly below the
threshold (a topic that may well be above it stays material).

Whether the data have a natural break at all: :func:`break_test` compares the goodness of
variance fit of the optimal breaks with what the same number of scores drawn from one normal
distribution (no break) gives (Jenks & Caspall 1971 for the goodness of variance fit; a
parametric bootstrap test, Davison & Hinkley 1997, ch. 4).

A tier's stability is measured by refitting on resampled coordinates
(:meth:`MaterialityTiers.refit_labels`): cut points are recomputed on each draw (fixed
thresholds are applied as they are), clusters are refitted starting from the fitted centres.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

TIER_NAMES = ("high", "material", "low")
NOT_MATERIAL = "not material"
ONE_DIMENSIONAL = ("jenks", "quantiles", "thresholds")
CLUSTERING = ("kmeans", "gmm")


def tier_names(n_tiers: int) -> list[str]:
    """Tier names from the most material down."""
    if not 2 <= n_tiers <= len(TIER_NAMES):
        raise ValueError(f"n_tiers must be 2 or 3, got {n_tiers}")
    return list(TIER_NAMES[:n_tiers])


def natural_breaks(values: np.ndarray, n_classes: int) -> np.ndarray:
    """Optimal cut points of each row of `values` into `n_classes` contiguous classes.

    Minimises the total within-class sum of squared deviations (Fisher's exact algorithm:
    dynamic programming over sorted values, O(k n^2) per row, vectorised over rows). Returns
    an array of shape (rows, n_classes - 1) of ascending cut points, each halfway between the
    largest value of one class and the smallest of the next. A 1-d input gives one row.
    """
    x = np.sort(np.atleast_2d(np.asarray(values, dtype=float)), axis=1)
    rows, n = x.shape
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    if n < n_classes:
        raise ValueError(f"{n} value(s) cannot be split into {n_classes} classes")
    if np.isnan(x).any():
        raise ValueError("natural breaks need finite values")
    cuts = np.empty((rows, n_classes - 1))
    chunk = max(1, 2_000_000 // (n + 1) ** 2)
    for start in range(0, rows, chunk):
        cuts[start : start + chunk] = _natural_breaks_sorted(x[start : start + chunk], n_classes)
    return cuts


def _natural_breaks_sorted(x: np.ndarray, k: int) -> np.ndarray:
    rows, n = x.shape
    # centred first so that the sums of squares keep their precision
    centred = x - x.mean(axis=1, keepdims=True)
    c1 = np.concatenate([np.zeros((rows, 1)), np.cumsum(centred, axis=1)], axis=1)
    c2 = np.concatenate([np.zeros((rows, 1)), np.cumsum(centred * centred, axis=1)], axis=1)
    size = np.arange(n + 1)[None, :] - np.arange(n + 1)[:, None]  # (start i, end j): j - i
    valid = size > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        s1 = c1[:, None, :] - c1[:, :, None]
        s2 = c2[:, None, :] - c2[:, :, None]
        sse = np.where(valid, s2 - s1 * s1 / np.where(valid, size, 1), np.inf)
    cost = sse[:, 0, :]  # one class covering x[0:j]
    back = []
    for _ in range(2, k + 1):
        total = cost[:, :, None] + sse  # earlier classes cover x[0:i], the new one x[i:j]
        start = np.argmin(total, axis=1)
        cost = np.take_along_axis(total, start[:, None, :], axis=1)[:, 0, :]
        back.append(start)
    end = np.full(rows, n)
    starts = []
    for start in reversed(back):
        end = start[np.arange(rows), end]
        starts.append(end)
    starts_array = np.stack(starts[::-1], axis=1)  # first index of classes 2..k
    index = np.arange(rows)[:, None]
    return (x[index, starts_array - 1] + x[index, starts_array]) / 2.0


def goodness_of_variance_fit(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """GVF = 1 - (sum of squared deviations from the class means) / (from the overall mean), per
    row of `values` (rows, n) with class `labels` of the same shape; 1 means classes without
    spread, 0 no structure."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    labels = np.atleast_2d(labels)
    total = ((values - values.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    within = np.zeros(len(values))
    for label in np.unique(labels):
        member = labels == label
        count = member.sum(axis=1, keepdims=True)
        mean = np.where(count > 0, (values * member).sum(axis=1, keepdims=True) / np.maximum(count, 1), 0.0)
        within += (((values - mean) ** 2) * member).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 1.0 - within / np.where(total > 0, total, 1.0), np.nan)


def break_test(values: np.ndarray, n_classes: int, *, draws: int = 999, random_state=None) -> dict:
    """Do the `values` have a natural break into `n_classes`, or would scores without one split
    as well? The goodness of variance fit of the optimal (Fisher-Jenks) breaks against its
    distribution for as many values drawn from one normal distribution with the same mean and
    spread; p is the share of those draws that fit at least as well (with the observed one
    counted, (1 + k) / (1 + draws))."""
    values = np.asarray(values, dtype=float)
    if len(values) <= n_classes or np.ptp(values) == 0:
        return {"gvf": None, "p_value": None, "natural_break": False, "draws": 0}
    labels = _labels_from_cuts(values, natural_breaks(values, n_classes)[0], n_classes)
    observed = float(goodness_of_variance_fit(values[None, :], labels[None, :])[0])
    rng = _random_state(random_state)
    null = rng.normal(values.mean(), values.std(ddof=1), size=(draws, len(values)))
    cuts = natural_breaks(null, n_classes)
    labels = _labels_from_cuts(null, cuts, n_classes)
    fits = goodness_of_variance_fit(null, labels)
    p_value = float((1 + np.sum(fits >= observed - 1e-12)) / (1 + draws))
    return {"gvf": observed, "p_value": p_value, "natural_break": p_value < 0.05, "draws": draws}


def _labels_from_cuts(combined: np.ndarray, cuts: np.ndarray, n_tiers: int) -> np.ndarray:
    """Tier 0 is above the highest cut; a value equal to a cut goes to the tier above it."""
    above = (combined[..., :, None] >= cuts[..., None, :]).sum(axis=-1)
    return (n_tiers - 1 - above).astype(np.int64)


def _coordinates(X: Any, min_samples: int = 1) -> np.ndarray:  # noqa: N803
    """`X` as a finite 2-d float array of at least `min_samples` rows (scikit-learn's
    ``check_array`` checks, without importing scikit-learn for the one-dimensional methods)."""
    array = np.asarray(X, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"Expected a 2D array, got an array of shape {array.shape}")
    if np.isnan(array).any():
        raise ValueError("Input X contains NaN.")
    if not np.isfinite(array).all():
        raise ValueError("Input X contains infinity.")
    if array.shape[0] < min_samples:
        raise ValueError(
            f"Found array with {array.shape[0]} sample(s) (shape={array.shape}) while a minimum "
            f"of {min_samples} is required."
        )
    return array


def _random_state(seed: int | np.random.RandomState | None) -> np.random.RandomState:
    """A RandomState from `seed`, as scikit-learn's ``check_random_state`` makes it."""
    if seed is None:
        return np.random.mtrand._rand
    if isinstance(seed, np.random.RandomState):
        return seed
    return np.random.RandomState(seed)


class MaterialityTiers:
    """Sort topics into ordered tiers from their matrix coordinates.

    Parameters
    ----------
    method : {"jenks", "quantiles", "thresholds", "kmeans", "gmm"}
    n_tiers : 2 or 3
    thresholds : ascending cut points on the combined score (method "thresholds")
    quantiles : ascending cumulative shares (method "quantiles"; default equal shares)
    n_init : restarts of k-means / the mixture on the data
    covariance_type : of the mixture components
    material_threshold : combined score below which a topic is "not material" (None: no such tier)
    random_state : int, RandomState or None

    Attributes
    ----------
    combined_ : combined score of each topic, the mean of the two coordinates
    labels_ : tier index of each topic, 0 = most material; n_tiers = "not material"
    not_material_ : whether each topic is below the material threshold
    tiers_ : tier name of each topic
    tier_names_ : names of the tiers, most material first
    thresholds_ : ascending cut points on the combined score (empty for kmeans/gmm)
    cluster_centers_ : (kmeans/gmm) centre of each tier, most material first
    cluster_model_ : (kmeans/gmm) the fitted KMeans or GaussianMixture
    cluster_tiers_ : (kmeans/gmm) the tier of each of the model's clusters or components
    n_features_in_ : 2
    """

    def __init__(
        self,
        method: str = "jenks",
        n_tiers: int = 2,
        thresholds: list[float] | None = None,
        quantiles: list[float] | None = None,
        n_init: int = 10,
        covariance_type: str = "full",
        material_threshold: float | None = None,
        random_state: int | np.random.RandomState | None = None,
    ):
        self.method = method
        self.n_tiers = n_tiers
        self.thresholds = thresholds
        self.quantiles = quantiles
        self.n_init = n_init
        self.covariance_type = covariance_type
        self.material_threshold = material_threshold
        self.random_state = random_state

    # --- parameters, as scikit-learn's BaseEstimator gives them (clone, get_params) ----------

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters by name (all plain values, so `deep` changes nothing)."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params: Any) -> MaterialityTiers:
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for MaterialityTiers")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.get_params().items() if v != type(self)().get_params()[k]}
        return f"MaterialityTiers({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    def _check_is_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise ValueError("this MaterialityTiers is not fitted yet: call fit first")

    # --- fitting ---------------------------------------------------------------------------

    def _validate_params_(self) -> None:
        if self.method not in ONE_DIMENSIONAL + CLUSTERING:
            raise ValueError(
                f"method must be one of {', '.join(ONE_DIMENSIONAL + CLUSTERING)}, got {self.method!r}"
            )
        tier_names(self.n_tiers)
        if self.method == "thresholds":
            if self.thresholds is None or len(self.thresholds) != self.n_tiers - 1:
                raise ValueError(f"method 'thresholds' needs {self.n_tiers - 1} cut point(s)")
            if list(self.thresholds) != sorted(self.thresholds):
                raise ValueError("thresholds must be ascending")

    def _quantiles(self) -> list[float]:
        if self.quantiles is not None:
            return list(self.quantiles)
        return [i / self.n_tiers for i in range(1, self.n_tiers)]

    def fit(self, X, y=None, *, upper=None) -> MaterialityTiers:  # noqa: N803 - scikit-learn's name
        """Fit the tiers to `X`, shape (topics, 2): business significance, stakeholder importance.

        `upper`: the upper ends of the topics' combined-score intervals; with a material
        threshold a topic is not material only when its upper end lies below it (without
        `upper`, when its combined score does).
        """
        self._validate_params_()
        X = _coordinates(X, min_samples=self.n_tiers)  # noqa: N806
        if X.shape[1] != 2:
            raise ValueError(f"X must have 2 columns (business, stakeholder), got {X.shape[1]}")
        self.n_features_in_ = 2
        self.tier_names_ = tier_names(self.n_tiers)
        self.combined_ = X.mean(axis=1)
        self.not_material_ = np.zeros(len(X), dtype=bool)
        if self.material_threshold is not None:
            self.tier_names_ = [*self.tier_names_, NOT_MATERIAL]
            bound = self.combined_ if upper is None else np.asarray(upper, dtype=float)
            self.not_material_ = bound < self.material_threshold
        rest = ~self.not_material_
        self.labels_ = np.full(len(X), self.n_tiers, dtype=np.int64)
        self.thresholds_ = []
        self.fitted_ = rest.sum() >= self.n_tiers
        if not self.fitted_:
            self.labels_[rest] = self.n_tiers - 1  # too few topics above the threshold to split
        elif self.method in ONE_DIMENSIONAL:
            self.thresholds_ = [float(t) for t in self._cuts(self.combined_[rest][None, :])[0]]
            self.labels_[rest] = _labels_from_cuts(
                self.combined_[rest], np.array(self.thresholds_), self.n_tiers
            )
        else:
            model = self._cluster(X[rest], _random_state(self.random_state), init=None)
            self.cluster_model_ = model
            self.cluster_centers_, self.cluster_tiers_ = self._ordered(model)
            self.labels_[rest] = self.cluster_tiers_[self._clusters(model, X[rest])]
        self.tiers_ = np.array(self.tier_names_, dtype=object)[self.labels_]
        return self

    def _cuts(self, combined: np.ndarray) -> np.ndarray:
        """Cut points of each row of combined scores."""
        if self.method == "jenks":
            return natural_breaks(combined, self.n_tiers)
        if self.method == "quantiles":
            return np.quantile(combined, self._quantiles(), axis=1).T
        return np.broadcast_to(
            np.asarray(self.thresholds, dtype=float), (combined.shape[0], self.n_tiers - 1)
        )

    def _cluster(self, X: np.ndarray, random_state, init: np.ndarray | None):  # noqa: N803
        # imported here: scikit-learn (and SciPy with it) take a second to import, and only the
        # clustering methods need them
        from sklearn.cluster import KMeans
        from sklearn.mixture import GaussianMixture

        if self.method == "kmeans":
            return KMeans(
                n_clusters=self.n_tiers,
                init="k-means++" if init is None else init,
                n_init=self.n_init if init is None else 1,
                random_state=random_state,
            ).fit(X)
        return GaussianMixture(
            n_components=self.n_tiers,
            covariance_type=self.covariance_type,
            n_init=self.n_init if init is None else 1,
            means_init=init,
            # k-means++ seeding of each restart: as good a start as a full k-means run on a
            # handful of topics, at a quarter of the cost (what-if previews refit interactively)
            init_params="k-means++",
            random_state=random_state,
        ).fit(X)

    def _ordered(self, model) -> tuple[np.ndarray, np.ndarray]:
        """Centres sorted from the most material down, and the tier of each of the model's clusters."""
        centres = model.cluster_centers_ if self.method == "kmeans" else model.means_
        order = np.argsort(-centres.mean(axis=1), kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        return centres[order], rank.astype(np.int64)

    def _clusters(self, model, X: np.ndarray) -> np.ndarray:  # noqa: N803
        """The model's cluster of each row of the data it was fitted on."""
        return model.labels_ if self.method == "kmeans" else model.predict(X)

    # --- using the fit ---------------------------------------------------------------------

    def predict(self, X) -> np.ndarray:  # noqa: N803
        """Tier index of new coordinates under the fitted cut points, clusters or mixture, and
        the material threshold (a combined score below it: not material).

        k-means assigns the nearest centre; a Gaussian mixture the most probable component,
        which need not be the nearest centre when the components differ in spread.
        """
        self._check_is_fitted()
        X = _coordinates(X)  # noqa: N806
        combined = X.mean(axis=1)
        if not self.fitted_:
            labels = np.full(len(X), self.n_tiers - 1, dtype=np.int64)
        elif self.method in ONE_DIMENSIONAL:
            labels = _labels_from_cuts(combined, np.array(self.thresholds_), self.n_tiers)
        else:
            labels = self.cluster_tiers_[self.cluster_model_.predict(X)]
        if self.material_threshold is not None:
            labels = np.where(combined < self.material_threshold, self.n_tiers, labels)
        return labels

    def refit_labels(self, draws: np.ndarray) -> np.ndarray:
        """Tier of every topic in every resample, refitting the method on each draw.

        `draws` has shape (resamples, topics, 2); the result (resamples, topics). Cut points are
        recomputed from the draws of the topics that were above the material threshold in the
        fit; in a draw, a topic whose combined score falls below the threshold is not material.
        """
        self._check_is_fitted()
        draws = np.asarray(draws, dtype=float)
        if draws.ndim != 3 or draws.shape[2] != 2:
            raise ValueError(f"draws must have shape (resamples, topics, 2), got {draws.shape}")
        combined = draws.mean(axis=2)
        rest = ~self.not_material_
        if not self.fitted_:
            labels = np.full(combined.shape, self.n_tiers - 1, dtype=np.int64)
        elif self.method in ONE_DIMENSIONAL:
            labels = _labels_from_cuts(combined, self._cuts(combined[:, rest]), self.n_tiers)
        else:
            random_state = _random_state(self.random_state)
            labels = np.empty(combined.shape, dtype=np.int64)
            for r in range(draws.shape[0]):
                model = self._cluster(draws[r][rest], random_state, init=self.cluster_centers_)
                clusters = self._clusters(model, draws[r]) if rest.all() else model.predict(draws[r])
                labels[r] = self._ordered(model)[1][clusters]
        if self.material_threshold is not None:
            labels = np.where(combined < self.material_threshold, self.n_tiers, labels)
        return labels
