"""The book's Sphinx extensions (book/_ext): chapter numbers, dollar math in docstrings,
resolving the svdlab names a chapter's code uses."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from api_links import (  # noqa: E402
    TAUGHT_RE,
    _aliases_and_uses,
    _resolve,
    dollar_math,
    lift_chapter_notes,
)
from exercise_numbers import chapter_number  # noqa: E402


def test_chapter_number_from_title_or_file_name():
    assert chapter_number("6. Recommender systems", "06_recommenders_and_lsa") == "6"
    assert chapter_number("4b. Randomized SVD", "04b_randomized_svd") == "4b"
    assert chapter_number("Weight spectra", "notebooks/10a_weight_spectra") == "10a"
    assert chapter_number("References", "book/references") == ""


def test_dollar_math_becomes_math_roles():
    text = "Iterates $Z \\leftarrow S_\\lambda(P_\\Omega(R))$ with\n\n$$\\hat r = |N(u)|^{-1/2}$$\n"
    out = dollar_math(text)
    assert ":math:`Z \\leftarrow S_\\lambda(P_\\Omega(R))`" in out
    assert ".. math::\n\n   \\hat r = |N(u)|^{-1/2}" in out
    assert "$" not in out
    assert dollar_math("one $ alone") == "one $ alone"


def test_taught_in_sentences_are_found():
    m = TAUGHT_RE.search("See above. Taught in\nchapters 3 and 4b.2.")
    assert m and m.group("nums") == "3 and 4b.2"


def test_chapter_names_resolve_through_their_imports():
    aliases, uses = _aliases_and_uses("import svdlab.linalg as sl\nfrom svdlab.recsys import ALS\n"
                                      "U, s, Vt = sl.svd(A)\nm = ALS(3).fit(X, y)\n")
    known = {"svdlab.linalg.svd": "svdlab.linalg.svd", "svdlab.recsys.ALS": "svdlab.recsys.ALS"}
    got = {r for u in uses if (r := _resolve(u, aliases, known))}
    assert got == {"svdlab.linalg.svd", "svdlab.recsys.ALS"}


def test_a_chapter_note_after_a_section_moves_before_the_sections():
    doc = ["Word vectors.", "", "Parameters", "----------", "x : int", "    A number.", "",
           "Taught in chapter 7.", "", "Examples", "--------", ">>> 1", "1"]
    out = lift_chapter_notes(doc)
    assert out[:4] == ["Word vectors.", "", "Taught in chapter 7.", ""]
    assert out[4:] == ["Parameters", "----------", "x : int", "    A number.", "",
                       "Examples", "--------", ">>> 1", "1"]
    untouched = ["Summary.", "", "Taught in chapter 7.", "", "Parameters", "----------", "x : int"]
    assert lift_chapter_notes(untouched) == untouched
