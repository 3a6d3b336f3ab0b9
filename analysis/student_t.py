"""Student's t distribution without SciPy: the quantiles the intervals need, for any real degrees
of freedom (Welch-Satterthwaite gives fractional ones).

The annual run must not pay SciPy's import (about a second) for one quantile per topic, so the
distribution function is computed here from the regularized incomplete beta function,

    P(T <= t) = 1 - I_x(df/2, 1/2) / 2  for t >= 0,  x = df / (df + t^2),

evaluated by its continued fraction (modified Lentz), and the quantile is found by Newton steps
on it from the normal quantile, kept inside a bracket that bisection narrows when a step would
leave it. Accurate to about 1e-12 against SciPy's ``stats.t.ppf`` (tests/test_student_t.py).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

_NORMAL = NormalDist()
_TINY = 1e-300
# Beyond this the t distribution is the normal one to well below the precision used here.
_NORMAL_DF = 1e10


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function at `x` (converges for
    x < (a + 1) / (a + b + 2))."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _log_beta_front(a: float, b: float) -> float:
    """log(Gamma(a + b) / (Gamma(a) Gamma(b))), without the cancellation of large lgamma values
    when one argument is 1/2 and the other large (the t distribution's case)."""
    large, half = (b, a) if a == 0.5 else (a, b)
    if half == 0.5 and large > 1e5:
        # log(Gamma(x + 1/2) / Gamma(x)) = log(x) / 2 - 1 / (8 x) + O(x^-3)
        return 0.5 * math.log(large) - 1.0 / (8.0 * large) - math.lgamma(0.5)
    return math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)


def regularized_beta(a: float, b: float, x: float, y: float | None = None) -> float:
    """I_x(a, b), the regularized incomplete beta function, for a, b > 0 and 0 <= x <= 1;
    `y` is 1 - x when the caller knows it more precisely than the subtraction would give."""
    y = 1.0 - x if y is None else y
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    log_x = math.log1p(-y) if x > 0.5 else math.log(x)  # log of a number near 1, kept precise
    log_y = math.log1p(-x) if y > 0.5 else math.log(y)
    log_front = _log_beta_front(a, b) + a * log_x + b * log_y
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, y) / b


def cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` degrees of freedom."""
    if df >= _NORMAL_DF:
        return _NORMAL.cdf(t)
    if t == 0.0:
        return 0.5
    # the central part, I_y(1/2, df/2) with y = t^2 / (df + t^2), keeps its precision near t = 0
    square = t * t
    central = 0.5 * regularized_beta(0.5, df / 2.0, square / (df + square), df / (df + square))
    return 0.5 + central if t > 0 else 0.5 - central


def pdf(t: float, df: float) -> float:
    if df >= _NORMAL_DF:
        return _NORMAL.pdf(t)
    log_norm = _log_beta_front(df / 2.0, 0.5) + math.lgamma(0.5) - 0.5 * math.log(df * math.pi)
    return math.exp(log_norm - (df + 1.0) / 2.0 * math.log1p(t * t / df))


def quantile(p: float, df: float) -> float:
    """The t value with P(T <= t) = p, for 0 < p < 1 and df > 0."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"a probability strictly between 0 and 1 is needed, not {p}")
    if not df > 0:
        raise ValueError(f"the degrees of freedom must be positive, not {df}")
    if df >= _NORMAL_DF:
        return _NORMAL.inv_cdf(p)
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -quantile(1.0 - p, df)
    if df == 1.0:  # Cauchy
        return math.tan(math.pi * (p - 0.5))
    low, high = 0.0, 1.0
    while cdf(high, df) < p:  # a bracket [low, high] around the quantile
        low, high = high, high * 2.0
    t = min(max(_NORMAL.inv_cdf(p), low), high)
    for _ in range(200):
        error = cdf(t, df) - p
        if error > 0:
            high = t
        else:
            low = t
        density = pdf(t, df)
        step = error / density if density > 0 else math.inf
        candidate = t - step
        if not low < candidate < high:
            candidate = (low + high) / 2.0
        if abs(candidate - t) <= 1e-13 * max(1.0, abs(t)):
            return candidate
        t = candidate
    return t


def quantiles(p: float, df: np.ndarray) -> np.ndarray:
    """`quantile(p, d)` for each `d` of an array of degrees of freedom (the same shape back):
    an infinite or missing `d` gives the normal quantile, a `d` of zero or less NaN."""
    values = np.asarray(df, dtype=float)
    flat = [
        _NORMAL.inv_cdf(p) if not np.isfinite(d) else quantile(p, float(d)) if d > 0 else math.nan
        for d in values.ravel()
    ]
    return np.array(flat, dtype=float).reshape(values.shape)
