#!/usr/bin/env python3
"""Searches the shipped theme model's thresholds by batch.

Reads what `EVAL_DUMP_THEMES=FILE eval_text --split extra --by-round`
writes: each extra development comment's labels, the codebook's finds and
the model's probability of each of its form's themes, from the model that
did not train on its batch. Prints micro-F1 for one threshold for all
themes, then for a threshold per theme chosen on eight batches (its best
F1 there) and read on the ninth, and halfway between that and the shipped
0.45. Held-out comments are never read.

    EVAL_DUMP_THEMES=/tmp/themes.tsv target/release/examples/eval_text --split extra --by-round
    python3 analysis/scripts/theme-thresholds.py /tmp/themes.tsv
"""
import bisect
import sys

# The last row of each batch (`ROUNDS` in eval_text.rs).
ROUNDS = [802, 1397, 2110, 3307, 4487, 5674, 6843, 8039, 9226]
THRESHOLD, FLOOR = 0.45, 0.3
GRID = [round(0.2 + 0.025 * k, 3) for k in range(25)]


def load(path):
    per = {}
    for line in open(path):
        i, gold, found, probs = line.rstrip("\n").split("\t")
        batch = bisect.bisect_right(ROUNDS, int(i))
        gold, found = set(gold.split(";")) - {""}, set(found.split(";")) - {""}
        for kv in filter(None, probs.split(";")):
            theme, p = kv.split("=")
            per.setdefault(theme, []).append((batch, float(p), theme in found, theme in gold))
    return per


def counts(items, threshold, floor=FLOOR):
    tp = fp = fn = 0
    for _, p, found, gold in items:
        given = p >= threshold or (found and p >= floor)
        tp += given and gold
        fp += given and not gold
        fn += gold and not given
    return tp, fp, fn


def f1(c):
    return 2 * c[0] / (2 * c[0] + c[1] + c[2]) if c[0] else 0.0


def total(parts):
    return [sum(x) for x in zip(*parts)]


def main():
    per = load(sys.argv[1])
    for threshold in [0.35, 0.4, 0.45, 0.5, 0.55]:
        micro = f1(total(counts(items, threshold) for items in per.values()))
        print(f"one threshold {threshold}: micro-F1 {micro:.4f}")
    batches = sorted({b for items in per.values() for b, *_ in items})
    for shrink in [1.0, 0.5]:
        tuned, shipped = [], []
        for b in batches:
            for items in per.values():
                rest = [x for x in items if x[0] != b]
                held = [x for x in items if x[0] == b]
                best = max(GRID, key=lambda g: (f1(counts(rest, g)), -abs(g - THRESHOLD)))
                tuned.append(counts(held, THRESHOLD + shrink * (best - THRESHOLD)))
                shipped.append(counts(held, THRESHOLD))
        print(
            f"a threshold per theme (moved {shrink:.0%} of the way): "
            f"micro-F1 {f1(total(tuned)):.4f} against {f1(total(shipped)):.4f}"
        )


main()
