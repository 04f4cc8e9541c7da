"""Arrival and registry: a PDF identified by its content, registered once, append-only."""
