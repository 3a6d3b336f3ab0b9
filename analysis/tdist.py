"""Student's t distribution for any (real) degrees of freedom, in numpy alone.

The annual run keeps SciPy out of its imports (it costs seconds); the intervals, the minority
tests and the year-over-year deltas need t tail probabilities and quantiles with the fractional
degrees of freedom of Welch-Satterthwaite. The upper tail is the regularized incomplete beta
function, P(T > t) = I_{v / (v + t^2)}(v / 2, 1 / 2) / 2 for t >= 0, evaluated by its continued
fraction (modified Lentz; Press et al., *Numerical Recipes*, 3rd ed., sec. 6.4); quantiles are
found by bisection on it. Checked against ``scipy.stats.t`` in the tests to 1e-9.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

_NORMAL = NormalDist()
_LARGE_DF = 1e7  # beyond this, the normal distribution (the difference is below 1e-7)


def _beta_fraction(a: np.ndarray, b: np.ndarray, x: np.ndarray, steps: int = 300) -> np.ndarray:
    """The continued fraction of the incomplete beta function (modified Lentz), elementwise."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = np.ones_like(x)
    d = 1.0 - qab * x / qap
    d = np.where(np.abs(d) < tiny, tiny, d)
    d = 1.0 / d
    h = d.copy()
    for m in range(1, steps + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1.0 / d
        h = h * d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1.0 / d
        step = d * c
        h = h * step
        if np.all(np.abs(step - 1.0) < 1e-15):
            break
    return h


def _incomplete_beta(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Regularized incomplete beta I_x(a, b) for 0 <= x <= 1, elementwise."""
    lgamma = np.vectorize(math.lgamma, otypes=[float])
    with np.errstate(divide="ignore", invalid="ignore"):
        log_front = lgamma(a + b) - lgamma(a) - lgamma(b) + a * np.log(x) + b * np.log1p(-x)
        front = np.exp(log_front)
        direct = x < (a + 1.0) / (a + b + 2.0)
        value = np.where(
            direct,
            front * _beta_fraction(a, b, x) / a,
            1.0 - front * _beta_fraction(b, a, 1.0 - x) / b,
        )
    return np.where(x <= 0, 0.0, np.where(x >= 1, 1.0, value))


def t_sf(t: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """P(T > t) for Student's t with `df` degrees of freedom (df may be fractional or inf)."""
    t_arr, df_arr = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(df, dtype=float))
    t_arr, df_arr = t_arr.astype(float), df_arr.astype(float)
    out = np.full(t_arr.shape, np.nan)
    normal = df_arr > _LARGE_DF
    if normal.any():
        out[normal] = [1.0 - _NORMAL.cdf(v) for v in t_arr[normal]]
    finite = ~normal & np.isfinite(t_arr) & (df_arr > 0)
    if finite.any():
        x, v = t_arr[finite], df_arr[finite]
        tail = 0.5 * _incomplete_beta(v / 2.0, np.full_like(v, 0.5), v / (v + x * x))
        out[finite] = np.where(x >= 0, tail, 1.0 - tail)
    out[np.isposinf(t_arr)] = 0.0
    out[np.isneginf(t_arr)] = 1.0
    return out


def _pdf(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    lgamma = np.vectorize(math.lgamma, otypes=[float])
    log_norm = lgamma((v + 1.0) / 2.0) - lgamma(v / 2.0) - 0.5 * np.log(v * math.pi)
    return np.exp(log_norm - (v + 1.0) / 2.0 * np.log1p(x * x / v))


def t_ppf(q: float, df: np.ndarray | float) -> np.ndarray:
    """The q quantile (0.5 <= q < 1) of Student's t for each of `df`: Newton's method on
    :func:`t_sf` from the Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5), with bisection
    where Newton does not settle (to about 1e-12 relative)."""
    if not 0.5 <= q < 1.0:
        raise ValueError(f"t_ppf takes 0.5 <= q < 1, got {q}")
    df_arr = np.atleast_1d(np.asarray(df, dtype=float)).astype(float)
    z = _NORMAL.inv_cdf(q)
    out = np.full(df_arr.shape, z)
    small = (df_arr <= _LARGE_DF) & (df_arr > 0)
    if small.any():
        v = df_arr[small]
        x = z + (z**3 + z) / (4 * v) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
        x = np.where(np.isfinite(x) & (x > 0), x, 1.0)
        for _ in range(12):
            step = (t_sf(x, v) - (1.0 - q)) / _pdf(x, v)
            x = np.maximum(x + step, x / 2.0)
            if np.all(np.abs(step) <= 1e-12 * np.maximum(x, 1.0)):
                break
        unsettled = ~(np.abs(t_sf(x, v) - (1.0 - q)) <= 1e-10 * (1.0 - q))
        if unsettled.any():
            x[unsettled] = _bisect(q, v[unsettled])
        out[small] = x
    return out.reshape(np.shape(df)) if np.ndim(df) else out


def _bisect(q: float, v: np.ndarray) -> np.ndarray:
    low = np.zeros_like(v)
    high = np.full_like(v, 1.0)
    while True:  # widen the bracket until the upper end is beyond the quantile
        short = t_sf(high, v) > 1.0 - q
        if not short.any():
            break
        high = np.where(short, high * 4.0, high)
    for _ in range(200):
        middle = (low + high) / 2.0
        above = t_sf(middle, v) > 1.0 - q
        low, high = np.where(above, middle, low), np.where(above, high, middle)
        if np.all(high - low <= 1e-12 * np.maximum(high, 1.0)):
            break
    return (low + high) / 2.0
