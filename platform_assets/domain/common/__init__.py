"""Small shared tools: atomic writes, file locks, process identity, file names, Markdown tables, paths."""
