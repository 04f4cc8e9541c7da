"""Adapters at the edge of the domain: DuckDB, matplotlib and OpenTelemetry."""
