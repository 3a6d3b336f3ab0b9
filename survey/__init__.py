"""The data side of the toolkit: catalogs, tables, the store, invitations and importers."""
