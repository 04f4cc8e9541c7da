"""Sanity check of the hand-labelled hold-out reference sample (not a test; run by hand).

    .venv/bin/python tests/corpus/holdout/check_labels.py [references.jsonl] [--pdfs .cache/holdout]

Checks: every mention's `start` points at its `text` inside the passage; labels are
internal/external/not; an internal mention's target is one of the document's targets; an
external or not mention has target null. With --pdfs, also that each passage occurs in its page's
text layer (pypdfium2, whitespace collapsed, U+FFFE/U+0002 soft-hyphen marks removed).
"""

import collections
import json
import re
import sys


def norm(s):
    return re.sub(r"\s+", " ", s.replace("\ufffe", "").replace("\x02", "")).strip()


def main(argv):
    path = "tests/corpus/holdout/references.jsonl"
    pdfs = None
    args = list(argv)
    if "--pdfs" in args:
        i = args.index("--pdfs")
        pdfs = args[i + 1]
        del args[i : i + 2]
    if args:
        path = args[0]
    targets, recs, errors = {}, [], []
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for n, line in enumerate(lines, 1):
        r = json.loads(line)
        if "targets" in r:
            targets[r["doc"]] = set(r["targets"])
        else:
            recs.append((n, r))
    count = collections.Counter()
    for n, r in recs:
        for m in r["mentions"]:
            count[(r["doc"], m["label"])] += 1
            if r["text"][m["start"] : m["start"] + len(m["text"])] != m["text"]:
                errors.append(f"line {n}: offset {m['start']} does not hold {m['text']!r}")
            if m["label"] not in ("internal", "external", "not"):
                errors.append(f"line {n}: bad label {m['label']!r}")
            if m["label"] == "internal" and m["target"] not in targets.get(r["doc"], ()):
                errors.append(f"line {n}: target {m['target']!r} not among {r['doc']} targets")
            if m["label"] != "internal" and m["target"] is not None:
                errors.append(f"line {n}: {m['label']} mention with a target")
    if pdfs:
        import os

        import pypdfium2 as pdfium

        cache = {}
        for n, r in recs:
            key = (r["doc"], r["page"])
            if key not in cache:
                doc = pdfium.PdfDocument(os.path.join(pdfs, r["doc"]))
                cache[key] = norm(doc[r["page"] - 1].get_textpage().get_text_range())
            if r["text"] not in cache[key]:
                errors.append(f"line {n}: passage not found on {r['doc']} p{r['page']}")
    for k, v in sorted(count.items()):
        print(f"{k[0]}\t{k[1]}\t{v}")
    print(f"total mentions {sum(count.values())}, passages {len(recs)}, errors {len(errors)}")
    for e in errors:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
