#!/usr/bin/env bash
# Rebuild _mathjax/_static/mathjax/ (MathJax 3, Apache-2.0) from the npm registry, so that the
# site renders math offline. Run from the repository root: bash tools/vendor_mathjax.sh
set -euo pipefail
version="${1:-3.2.2}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "mathjax@${version}" >/dev/null && tar xzf "mathjax-${version}.tgz")
rm -rf _mathjax/_static/mathjax
mkdir -p _mathjax/_static/mathjax/output/chtml/fonts
cp "$tmp/package/es5/tex-mml-chtml.js" _mathjax/_static/mathjax/
cp -r "$tmp/package/es5/output/chtml/fonts/woff-v2" _mathjax/_static/mathjax/output/chtml/fonts/
cp "$tmp/package/LICENSE" _mathjax/_static/mathjax/LICENSE
echo "MathJax ${version} vendored into _mathjax/_static/mathjax ($(du -sh _mathjax/_static/mathjax | cut -f1))"
