"""Verification: coverage, links, source text, tables, vocabulary, reviewed corrections, reports."""
