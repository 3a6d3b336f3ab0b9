"""Rules of the domain that more than one part of the toolkit applies: defined once, here.

A topic's ``p_tier`` is the share of resampled data sets in which it lands in its own tier
(see :func:`analysis.pipeline.analyse`). Two cuts on it are used:
"""

from __future__ import annotations

UNCERTAIN_P_TIER = 0.8
"""Below this ``p_tier`` a topic's tier is uncertain: other respondents could well have put it in
another tier. The CLI lists such topics, the overview and the workbook flag them and the
disclosure names them."""

STABLE_P_TIER = 0.95
"""At or above this ``p_tier`` the disclosure counts a topic as having stayed in its tier: the bar
for the sentence "n of N topics stayed in their tier in at least 95% of the resamples"."""
