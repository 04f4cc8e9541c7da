"""Parsing a batch: the worker port, the run of one batch, claims, stored outputs, MinerU adapters."""
