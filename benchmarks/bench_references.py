"""Reference linking on a hand-labelled sample of real documents: precision and recall of the links made.

Each JSONL line is a passage of a PDF's text layer with its labelled mentions (internal / external / not),
or a document's list of existing targets. The passage is escaped as the renderer escapes prose, then
linked with a resolver over that document's targets. A link is correct when it overlaps an internal
mention and points to its target; any other link is an error. Goal: precision >= 99%, recall >= 97%.
Usage: `.venv/bin/python benchmarks/bench_references.py [JSONL ...]` (default: the checked-in sample;
`tests/fixtures/references/sample-texinfo.jsonl` is the second one, of texinfo and LaTeX manuals);
exits 1 when a goal is missed.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from platform_assets.domain.tree.cross_references import EXTERNAL, link_references  # noqa: E402

SAMPLE = REPO / "tests" / "fixtures" / "references" / "sample.jsonl"
PRECISION_GOAL = 0.99
RECALL_GOAL = 0.97
_ESCAPED = frozenset("\\`*_[]<#")


@dataclass
class Score:
    """Counts for one document (or all)."""

    labels: Counter[str] = field(default_factory=Counter)
    links: int = 0
    correct: int = 0
    reachable: int = 0
    found: int = 0
    externals_listed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.labels.update(other.labels)
        self.links += other.links
        self.correct += other.correct
        self.reachable += other.reachable
        self.found += other.found
        self.externals_listed += other.externals_listed
        self.errors += other.errors

    @property
    def precision(self) -> float:
        return self.correct / self.links if self.links else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.reachable if self.reachable else 1.0


def escaped(text: str) -> tuple[str, list[int]]:
    """`text` escaped as the renderer escapes prose (every special character backslashed where the renderer's
    escaping is not there), and each output offset's source offset."""
    try:
        from platform_assets.domain.tree.markdown_escape import escape_inline
    except ImportError:
        markdown = "".join(f"\\{char}" if char in _ESCAPED else char for char in text)
    else:
        markdown = escape_inline(text)
    source: list[int] = []
    index = 0
    for char in markdown:
        source.append(index)
        if index < len(text) and text[index] == char:
            index += 1
        elif char != "\\":
            raise ValueError(f"escaping changed more than backslashes: {text[:60]!r}")
    source.append(len(text))
    return markdown, source


def score_passage(passage: dict, targets: frozenset[str]) -> Score:
    score = Score()
    text, source = escaped(passage["text"])
    _, references = link_references(text, lambda target: f"{target}.md" if target in targets else None)
    mentions = passage["mentions"]
    score.labels.update(m["label"] for m in mentions)
    hits: dict[int, str] = {}
    for reference in references:
        if reference.kind == EXTERNAL:
            score.externals_listed += 1
        if reference.href is None:
            continue
        score.links += 1
        start = source[reference.start]
        end = source[reference.start + len(reference.text)]
        over = [i for i, m in enumerate(mentions) if m["start"] < end and start < m["start"] + len(m["text"])]
        right = [
            i for i in over if (mentions[i]["label"], mentions[i]["target"]) == ("internal", reference.target)
        ]
        if right:
            score.correct += 1
            hits.setdefault(right[0], reference.target)
        else:
            labels = [mentions[i]["label"] for i in over] or ["unlabelled"]
            page = passage["page"]
            score.errors.append(f"p{page} linked {reference.text!r} -> {reference.target} ({labels})")
    for index, mention in enumerate(mentions):
        if mention["label"] == "internal" and mention["target"] in targets:
            score.reachable += 1
            if index in hits:
                score.found += 1
            else:
                context = passage["text"][max(0, mention["start"] - 40) : mention["start"] + 40]
                score.errors.append(f"p{passage['page']} missed {mention['text']!r}: ...{context}...")
    return score


def score_files(paths: list[Path]) -> dict[str, Score]:
    """Scores by document name."""
    targets: dict[str, frozenset[str]] = {}
    passages: list[dict] = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            if "targets" in record:
                targets[record["doc"]] = frozenset(record["targets"])
            else:
                passages.append(record)
    scores: dict[str, Score] = defaultdict(Score)
    for passage in passages:
        scores[passage["doc"]].add(score_passage(passage, targets.get(passage["doc"], frozenset())))
    return dict(scores)


def main() -> int:
    paths = [Path(arg) for arg in sys.argv[1:]] or [SAMPLE]
    scores = score_files(paths)
    total = Score()
    print(f"{'document':42} {'int':>5} {'ext':>5} {'not':>5} {'links':>6} {'precision':>10} {'recall':>8}")
    for doc, score in sorted(scores.items()):
        total.add(score)
        labels = score.labels
        print(
            f"{doc[:42]:42} {labels['internal']:5} {labels['external']:5} {labels['not']:5} {score.links:6}"
            f" {score.precision:10.2%} {score.recall:8.2%}"
        )
    labels = total.labels
    print(
        f"{'all':42} {labels['internal']:5} {labels['external']:5} {labels['not']:5} {total.links:6}"
        f" {total.precision:10.2%} {total.recall:8.2%}"
    )
    print(f"external references listed (never linked): {total.externals_listed}")
    for error in total.errors:
        print(f"  {error}")
    held = total.precision >= PRECISION_GOAL and total.recall >= RECALL_GOAL
    verdict = "holds" if held else "MISSED"
    print(f"goal precision >= {PRECISION_GOAL:.0%}, recall >= {RECALL_GOAL:.0%}: {verdict}")
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
