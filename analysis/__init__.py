"""The thinking side of the toolkit: pure computation on pandas and numpy data."""
