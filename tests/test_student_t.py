"""Student's t quantiles computed without SciPy, checked against SciPy's ``stats.t`` (the
reference implementation, Cephes' incomplete beta) and against printed table values (Student t
table, e.g. NIST/SEMATECH e-Handbook of Statistical Methods, section 1.3.6.7.2)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis import student_t

DEGREES = [0.3, 1.0, 1.5, 2.0, 2.7, 3.0, 4.0, 7.5, 10.0, 29.0, 120.0, 1e4, 1e8, 1e12]
PROBABILITIES = [1e-6, 0.001, 0.025, 0.1, 0.3, 0.5, 0.7, 0.9, 0.975, 0.995, 0.999999]


@pytest.mark.parametrize("df", DEGREES)
def test_the_quantiles_match_scipy(df):
    for p in PROBABILITIES:
        expected = stats.t.ppf(p, df)
        assert student_t.quantile(p, df) == pytest.approx(expected, rel=1e-9, abs=1e-12), (p, df)


@pytest.mark.parametrize("df", DEGREES)
def test_the_distribution_function_matches_scipy(df):
    for t in [-50.0, -3.2, -1.0, -0.1, 0.0, 0.4, 1.96, 2.5, 12.0, 400.0]:
        assert student_t.cdf(t, df) == pytest.approx(stats.t.cdf(t, df), rel=1e-9, abs=1e-14), (t, df)


def test_printed_table_values():
    # two-sided 95% critical values: df 1, 2, 5, 10, 30
    table = {1: 12.706, 2: 4.303, 5: 2.571, 10: 2.228, 30: 2.042}
    for df, value in table.items():
        assert round(student_t.quantile(0.975, df), 3) == value


def test_an_array_of_degrees_keeps_its_shape_and_infinite_is_normal():
    df = np.array([[3.0, np.inf], [12.5, 1e13]])
    got = student_t.quantiles(0.975, df)
    assert got.shape == (2, 2)
    assert got[0, 1] == pytest.approx(1.959963984540054) and got[1, 1] == pytest.approx(1.959963984540054)
    assert got[1, 0] == pytest.approx(stats.t.ppf(0.975, 12.5), rel=1e-10)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="probability"):
        student_t.quantile(1.0, 5)
    with pytest.raises(ValueError, match="degrees of freedom"):
        student_t.quantile(0.5, 0)
