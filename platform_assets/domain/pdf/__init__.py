"""The source PDF: facts read once with pypdfium2, its text layer, page geometry, headings for no outline."""
