"""The figures the benchmarks and tests read back from a tree's Markdown."""

from __future__ import annotations

from tests.markdown_figures import read_tree


def test_a_file_title_shaped_like_code_is_no_code_heading_but_a_code_heading_inside_the_body_is() -> None:
    """erl_interface's clause `ei_xrpc_to()` is titled by its bookmark: a heading by definition. A code line
    the parser typed as a heading inside the body is what the figure counts."""
    files = {"a/ei-xrpc-to.md": "# ei_xrpc_to()\n\nSends a call.\n\n## \\begin{document}\n\nText.\n"}
    found = read_tree(files, frozenset(files))
    assert found.code_headings == [("a/ei-xrpc-to.md", "\\begin{document}")]
