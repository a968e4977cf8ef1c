"""How well and how fast the offline reply classifier does on the evaluation set.

Run: .venv/bin/python bench/classify_offline.py [path/to/eval.jsonl]
Prints accuracy per intent, overall accuracy, how many out-of-office replies get their labelled
return date, the confusion pairs and misses, and classifications per second.
It never asserts: the thresholds live in tests/unit/adapters/llm/test_offline.py.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.llm.offline import OfflineClassifier  # noqa: E402
from adapters.llm.types import ReplyInput  # noqa: E402

DEFAULT_EVAL = ROOT / "tests" / "unit" / "adapters" / "llm" / "eval_replies.jsonl"


def load(path: Path) -> list[tuple[dict[str, object], ReplyInput]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows.append((row, ReplyInput.model_validate(row)))
    return rows


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_EVAL
    rows = load(path)
    classifier = OfflineClassifier()

    results = [classifier.classify(reply) for _, reply in rows]
    totals: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    confusion: Counter[tuple[str, str]] = Counter()
    misses: list[str] = []
    for (row, _), got in zip(rows, results, strict=True):
        expected = str(row["expected"])
        totals[expected] += 1
        if got.intent == expected:
            correct[expected] += 1
        else:
            confusion[(expected, got.intent.value)] += 1
            misses.append(f"  {row['id']:<14} {expected} -> {got.intent.value}: {got.reason}")

    print(f"{'intent':<16}{'n':>5}{'correct':>9}{'accuracy':>10}")
    for intent in sorted(totals):
        n, ok = totals[intent], correct[intent]
        print(f"{intent:<16}{n:>5}{ok:>9}{ok / n:>10.3f}")
    n_all, ok_all = sum(totals.values()), sum(correct.values())
    print(f"{'overall':<16}{n_all:>5}{ok_all:>9}{ok_all / n_all:>10.3f}")

    # Out-of-office rows: is the first day back (or its absence) the labelled one?
    ooo = [
        (row, got)
        for (row, _), got in zip(rows, results, strict=True)
        if row["expected"] == "out_of_office"
    ]
    dates_ok = 0
    for row, got in ooo:
        if str(got.return_date) == str(row.get("return_date")):
            dates_ok += 1
        else:
            misses.append(
                f"  {row['id']:<14} return date {row.get('return_date')} -> {got.return_date}"
            )
    if ooo:
        print(f"{'return dates':<16}{len(ooo):>5}{dates_ok:>9}{dates_ok / len(ooo):>10.3f}")

    print("\nconfusion pairs (expected -> got: count)")
    for (expected, got_intent), count in confusion.most_common():
        print(f"  {expected} -> {got_intent}: {count}")
    if misses:
        print("\nmisclassified")
        print("\n".join(misses))

    # Timing over repeated passes, so the number is not dominated by a single cold run.
    replies = [reply for _, reply in rows]
    passes, started = 0, time.perf_counter()
    while time.perf_counter() - started < 1.0:
        for reply in replies:
            classifier.classify(reply)
        passes += 1
    elapsed = time.perf_counter() - started
    print(f"\n{passes * len(replies) / elapsed:,.0f} classifications/second")


if __name__ == "__main__":
    main()
