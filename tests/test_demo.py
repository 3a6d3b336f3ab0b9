"""The demo data: realistic shape, deterministic."""

import pandas as pd

from survey.db import transaction
from survey.demo import REPORT_2020_HIGH, create_demo
from survey.reads import load_assessment_data, ratings_frame


def demo_ratings(engine, key="2020") -> pd.DataFrame:
    with transaction(engine) as session:
        create_demo(session=session)
    with transaction(engine, write=False) as session:
        return ratings_frame(session=session, assessment_key=key)


def test_demo_shape(sqlite_engine):
    ratings = demo_ratings(sqlite_engine)
    respondents = ratings.groupby("group")["respondent"].nunique()
    stakeholders = respondents.drop("management")
    assert len(stakeholders) == 7 and stakeholders.sum() >= 300  # hundreds of respondents
    assert stakeholders.max() >= 10 * stakeholders.min()  # group sizes uneven as in real life
    assert respondents["management"] >= 10
    assert set(ratings.loc[ratings["group"] == "management", "dimension"]) == {"business_impact"}
    assert set(ratings.loc[ratings["group"] != "management", "dimension"]) == {"importance"}
    dont_know = ratings["value"].isna().mean()
    assert 0.01 < dont_know < 0.15
    assert ratings["value"].dropna().between(1, 5).all()

    # Shaped by the report: its high-material topics are rated higher by stakeholders and management.
    means = ratings.groupby(["dimension", "topic"])["value"].mean()
    for dimension in ("importance", "business_impact"):
        high = means[dimension][list(REPORT_2020_HIGH)]
        other = means[dimension].drop(list(REPORT_2020_HIGH))
        assert high.min() > other.max()
    with transaction(sqlite_engine) as session:
        data = load_assessment_data(session=session, assessment_key="2019")
    assert "climate_change" not in set(data.topics["topic"])
    assert ("regulators", "Climate change") in set(
        data.focus_areas.loc[data.focus_areas["topic"].isna(), ["group", "label"]].itertuples(
            index=False, name=None
        )
    )


def test_demo_is_deterministic(tmp_path):
    from survey.db import create_db_engine

    first = demo_ratings(create_db_engine(f"sqlite:///{tmp_path / 'a.db'}"))
    second = demo_ratings(create_db_engine(f"sqlite:///{tmp_path / 'b.db'}"))
    pd.testing.assert_frame_equal(first, second)
