"""A small double-materiality assessment worked by hand, as files the commands read."""

from __future__ import annotations

from pathlib import Path

REGISTER_HEADER = "iro,topic,sub_topic,type,status,value_chain,horizon,human_rights,description\n"
REGISTER_ROWS = [
    "N1,pollution,Pollution of air,negative_impact,actual,own_operations,short,no,NOx from our boilers",
    "R1,pollution,Pollution of air,risk,potential,own_operations,medium,no,Stricter emission permits",
    "N2,own_workforce,Working conditions,negative_impact,potential,own_operations,medium,no,Overtime peaks",
    "N3,own_workforce,Other work-related rights,negative_impact,potential,upstream;own_operations,long,yes,"
    "Forced labour at a labour agency",
    "P1,affected_communities,Communities' economic social and cultural rights,positive_impact,actual,"
    "downstream,short,no,Local jobs",
    "O1,affected_communities,,opportunity,potential,downstream,long,no,Community energy scheme",
    "R2,business_conduct,Corruption and bribery,risk,actual,own_operations;downstream,short,no,"
    "A bribery fine",
]
# assessor, iro, {criterion: value}
RATINGS = [
    ("A", "N1", {"scale": 4, "scope": 3, "irremediability": 3}),
    ("B", "N1", {"scale": 4, "scope": 3, "irremediability": 3}),
    ("A", "R1", {"magnitude": 1, "likelihood": 2}),
    ("B", "R1", {"magnitude": 1, "likelihood": 2}),
    ("A", "N2", {"scale": 4, "scope": 4, "irremediability": 2, "likelihood": 3}),
    ("B", "N2", {"scale": 4, "scope": 2, "irremediability": 2, "likelihood": 4}),
    ("A", "N3", {"scale": 5, "scope": 2, "irremediability": 4, "likelihood": 1}),
    ("B", "N3", {"scale": 5, "scope": 2, "irremediability": 4, "likelihood": 1}),
    ("A", "P1", {"scale": 3, "scope": 2}),
    ("B", "P1", {"scale": 3, "scope": 3}),
    ("A", "O1", {"magnitude": 3, "likelihood": 4}),
    ("B", "O1", {"magnitude": 4, "likelihood": 4}),
    ("A", "R2", {"magnitude": 2, "likelihood": 5}),
]
IMPACT_THRESHOLD = 3.0
FINANCIAL_THRESHOLD = 2.5

# Worked by hand from the ratings above (default preset):
# N1 severity (4+3+3)/3 = 3.333, actual: impact 3.333 >= 3.0
# R1 1 x 2 / 5 = 0.4
# N2 means scale 4, scope 3, irremediability 2, likelihood 3.5: severity 3, impact 3 x 3.5 / 5 = 2.1;
#    scope differs by 2 points: flagged for calibration
# N3 potential negative human-rights impact: severity (5+2+4)/3 = 3.667 takes precedence over likelihood 1
# P1 positive: (3 + 2.5) / 2 = 2.75
# O1 magnitude 3.5 x 4 / 5 = 2.8 >= 2.5
# R2 2 x 5 / 5 = 2.0 (one assessor)
# pollution: impact 3.333, financial 0.4: material on impact alone; their average 1.867 is below both.
EXPECTED_IROS = {
    # iro: (severity, impact_score, financial_score, impact_material, financial_material, n_assessors, spread)
    "N1": (3.3333, 3.3333, None, True, False, 2, 0),
    "R1": (None, None, 0.4, False, False, 2, 0),
    "N2": (3.0, 2.1, None, False, False, 2, 2),
    "N3": (3.6667, 3.6667, None, True, False, 2, 0),
    "P1": (2.75, 2.75, None, False, False, 2, 1),
    "O1": (None, None, 2.8, False, True, 2, 1),
    "R2": (None, None, 2.0, False, False, 1, 0),
}
EXPECTED_TOPICS = {
    # topic: (impact_score, financial_score, impact_material, financial_material, material, basis)
    "pollution": (3.3333, 0.4, True, False, True, "impact"),
    "own_workforce": (3.6667, None, True, False, True, "impact"),
    "affected_communities": (2.75, 2.8, False, True, True, "financial"),
    "business_conduct": (None, 2.0, False, False, False, "none"),
    "climate_change": (None, None, False, False, False, "none"),
}


def write_register(folder: Path, rows: list[str] | None = None, name: str = "register.csv") -> Path:
    path = folder / name
    path.write_text(
        REGISTER_HEADER + "\n".join(REGISTER_ROWS if rows is None else rows) + "\n", encoding="utf-8"
    )
    return path


def rating_lines(ratings=RATINGS) -> list[str]:
    return [
        f"{assessor},{iro},{criterion},{value},{assessor} rates {criterion} of {iro} at {value}"
        for assessor, iro, values in ratings
        for criterion, value in values.items()
    ]


def write_ratings(folder: Path, lines: list[str] | None = None, name: str = "ratings.csv") -> Path:
    path = folder / name
    body = rating_lines() if lines is None else lines
    path.write_text("assessor,iro,criterion,value,rationale\n" + "\n".join(body) + "\n", encoding="utf-8")
    return path
