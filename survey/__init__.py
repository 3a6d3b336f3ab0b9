"""The data side of the toolkit: catalogs, tables, the store, invitations and importers."""

__version__ = "0.1.0"
