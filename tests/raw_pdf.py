"""PDFs written object by object, for what a drawing library will not write: bookmarks pointing past the
end, a font whose ToUnicode map gives characters outside the BMP."""

from __future__ import annotations

from collections.abc import Sequence


def pdf_bytes(objects: Sequence[str]) -> bytes:
    """A PDF of the given object bodies, numbered from 1 (the first the catalog), with its xref table."""
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
