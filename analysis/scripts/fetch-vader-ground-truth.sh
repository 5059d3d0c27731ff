#!/usr/bin/env bash
# Fetches VADER's human-rated ground truth (Hutto & Gilbert, ICWSM-14) and
# scores it with the real Python vaderSentiment, so the analysis crate's
# data-dependent tests can compare against the reference implementation.
#
# Everything comes from one pinned PyPI file, checked by SHA-256: the
# vaderSentiment 3.3.2 sdist. It carries the ground truth inside
# additional_resources/hutto_ICWSM_2014.tar.gz (the wheel does not), and the
# same verified sdist is installed into a private venv to produce the
# reference scores. Network use is PyPI only, through pip.
#
# Output folder: $VADER_DATA_DIR, or target/vader-data at the workspace root.
#   <name>_GroundTruth.txt   id<TAB>mean human rating (-4..4)<TAB>text, CRLF
#   reference.tsv            file<TAB>line<TAB>id<TAB>neg<TAB>neu<TAB>pos<TAB>compound
#   VERSION                  what was fetched, written last (marks completion)
#
# Then: VADER_DATA_DIR=<that folder> cargo test -p analysis
#       VADER_DATA_DIR=<that folder> cargo run -p analysis --example vader_accuracy
set -euo pipefail

VERSION=3.3.2
SDIST=vaderSentiment-$VERSION.tar.gz
SDIST_SHA256=5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9
INNER_SHA256=d5bb07d87474b3eb8d30b4deccbc23f19d742a6c5718fbacc65485b70b95c5fa
declare -A FILE_SHA256=(
  [tweets_GroundTruth.txt]=dfbe7102e2f92579ed8b19df9a3822491880697c67adf712fb66e520cc05102f
  [movieReviewSnippets_GroundTruth.txt]=c8293b0d942e90e223ea2c0955d969040d1a1be514a978b9af0698940bd13350
  [amazonReviewSnippets_GroundTruth.txt]=11a9807a0974a2506a2d3b4851eaf69b3d6d20688ce4923adda2312a4f6dd6c2
  [nytEditorialSnippets_GroundTruth.txt]=7d8fbcce7dde5d716da53e78f4ef4be6b706e9ef1e1d51887e6d0ad4b69cc27e
)
STAMP="vaderSentiment $VERSION sdist sha256 $SDIST_SHA256"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dest="${VADER_DATA_DIR:-$root/target/vader-data}"
python="${PYTHON:-python3}"

if [[ -f "$dest/VERSION" && "$(cat "$dest/VERSION")" == "$STAMP" && -f "$dest/reference.tsv" ]]; then
  echo "vader ground truth already in $dest"
  exit 0
fi

check() { # file expected-sha256
  local got
  got="$(sha256sum "$1" | cut -d' ' -f1)"
  if [[ "$got" != "$2" ]]; then
    echo "checksum mismatch for $1: expected $2, got $got" >&2
    exit 1
  fi
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$python" -m pip download --quiet --no-deps --no-binary :all: \
  -d "$work/dl" "vaderSentiment==$VERSION"
check "$work/dl/$SDIST" "$SDIST_SHA256"

tar -xzf "$work/dl/$SDIST" -C "$work"
inner="$work/vaderSentiment-$VERSION/additional_resources/hutto_ICWSM_2014.tar.gz"
check "$inner" "$INNER_SHA256"
mkdir -p "$work/gt"
tar -xzf "$inner" -C "$work/gt"

rm -rf "$dest"
mkdir -p "$dest"
for name in "${!FILE_SHA256[@]}"; do
  check "$work/gt/hutto_ICWSM_2014/$name" "${FILE_SHA256[$name]}"
  cp "$work/gt/hutto_ICWSM_2014/$name" "$dest/$name"
done

# The reference scorer: the verified sdist itself, installed without its
# declared dependency on requests (used only by the module's demo code).
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --no-deps "$work/dl/$SDIST"

"$work/venv/bin/python" - "$dest" <<'PY'
import os, sys
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

dest = sys.argv[1]
analyzer = SentimentIntensityAnalyzer()
names = sorted(n for n in os.listdir(dest) if n.endswith("_GroundTruth.txt"))
rows = 0
with open(os.path.join(dest, "reference.tsv"), "w", encoding="utf-8", newline="\n") as out:
    out.write("file\tline\tid\tneg\tneu\tpos\tcompound\n")
    for name in names:
        with open(os.path.join(dest, name), encoding="utf-8", newline="") as f:
            for number, line in enumerate(f.read().split("\n"), start=1):
                line = line.rstrip("\r\n")
                if not line:
                    continue
                ident, _mean, text = line.split("\t", 2)
                s = analyzer.polarity_scores(text)
                out.write(f"{name}\t{number}\t{ident}\t{s['neg']}\t{s['neu']}\t{s['pos']}\t{s['compound']}\n")
                rows += 1
print(f"scored {rows} texts with vaderSentiment", file=sys.stderr)
PY

echo "$STAMP" > "$dest/VERSION"
echo "vader ground truth and reference scores in $dest"
