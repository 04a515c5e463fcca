"""Drift and data-quality monitoring daemon for machine-learning systems."""

__version__ = "0.1.0"
