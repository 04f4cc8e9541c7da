"""The clause tree: blocks triaged, segmented under the outline, rendered to Markdown and linked."""
