#!/usr/bin/env python3
"""Writes analysis/src/english_words.tsv: how often each common English word
is written, as the natural log of its share of running words, for the
label model's test of whether a comment is in the forms' voice
(analysis/src/voice.rs).

The source is spaCy's lexeme probabilities (`en_lexeme_prob` in the
`spacy-lookups-data` package, 1.0.5, MIT licence, ExplosionAI GmbH),
estimated from Reddit comments: informal written English, close to how
reviews and survey comments are written. Case variants are summed; only
words of letters, digits and apostrophes are kept, and only those above
the floor `voice.rs` puts under every word (ln share -11, about the
3,500th most common word), since a rarer word reads as the floor anyway.

    pip download --no-deps spacy-lookups-data==1.0.5
    python3 analysis/scripts/english-words.py spacy_lookups_data-1.0.5-py2.py3-none-any.whl
"""
import collections, gzip, json, math, re, sys, zipfile

FLOOR = -11.0

# spacy-lookups-data's licence, which its data carries here.
LICENCE = """
MIT License

Copyright (c) 2019 ExplosionAI GmbH

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

with zipfile.ZipFile(sys.argv[1]) as wheel:
    probs = json.loads(gzip.decompress(wheel.read("spacy_lookups_data/data/en_lexeme_prob.json.gz")))
share = collections.defaultdict(float)
for word, ln in probs.items():
    word = word.lower()
    if re.fullmatch(r"[a-z0-9']+", word) and word.strip("'"):
        share[word] += math.exp(ln)
kept = sorted(((w, math.log(s)) for w, s in share.items() if math.log(s) > FLOOR), key=lambda x: (-x[1], x[0]))
with open("analysis/src/english_words.tsv", "w") as out:
    out.write("# word\tln share, from spacy-lookups-data 1.0.5 (en_lexeme_prob) by analysis/scripts/english-words.py\n")
    for line in LICENCE.strip().splitlines():
        out.write(f"# {line}".rstrip() + "\n")
    for word, ln in kept:
        out.write(f"{word}\t{ln:.2f}\n")
print(len(kept), "words")
