"""TODO: role of this package."""
