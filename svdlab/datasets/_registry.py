"""The data registry: name -> file, URL, SHA-256, license, citation.

Lookup order for a registered file (:func:`fetch`):

1. ``data/`` of a source checkout (redistributable data committed with its license);
2. the user cache (``$SVDLAB_DATA`` if set, else the platform cache folder);
3. a download through :mod:`pooch`, checked against the registered SHA-256.

A file whose hash does not match is never used: a download with a wrong hash
raises :class:`DatasetError` and leaves nothing in the cache. Nothing here
touches the network at import time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

__all__ = [
    "Dataset",
    "DatasetError",
    "REGISTRY",
    "register",
    "list_datasets",
    "get_info",
    "fetch",
    "data_dir",
    "cache_dir",
    "sha256",
    "package_file",
    "download_url",
]


class DatasetError(RuntimeError):
    """A dataset is unavailable or failed its integrity check. The message says how to get it."""


@dataclass(frozen=True)
class Dataset:
    """One entry of the registry: where a data file comes from, its license and checksum.

    Parameters
    ----------
    name : str
        The name :func:`fetch` and the loaders know it by.
    description : str
        One line on what the data is.
    license : str
        Its license, or the terms under which it may be used.
    citation : str
        What to cite when using it.
    filename : str, optional
        File name in ``data/`` or in the cache (``None`` for data inside an installed package).
    url : str, optional
        Download URL (``None`` if svdlab cannot download it).
    sha256 : str, optional
        Hex SHA-256 of the file; required for anything that is downloaded.
    source : {"download", "repository", "package"}, default "download"
        Downloaded by the reader, committed in ``data/``, or inside an installed package.
    chapters : tuple of int, default ()
        The chapters that read it.

    Raises
    ------
    ValueError
        If ``source`` is not one of the three, or a ``url`` comes without a ``sha256``.

    Examples
    --------
    >>> d = Dataset("toy", "a toy file", "CC0-1.0", "nobody", filename="toy.txt",
    ...             source="repository", chapters=(1,))
    >>> d.source, d.chapters
    ('repository', (1,))
    >>> Dataset("bad", "", "", "", url="https://example.org/x")
    Traceback (most recent call last):
        ...
    ValueError: dataset 'bad' has a url but no sha256
    """

    name: str
    description: str
    license: str
    citation: str
    filename: str | None = None
    """File name in ``data/`` or in the cache (``None`` for data inside an installed package)."""
    url: str | None = None
    """Download URL (``None`` if the data cannot be downloaded by svdlab)."""
    sha256: str | None = None
    """Hex SHA-256 of the file; required for anything that is downloaded."""
    source: str = "download"
    """``"repository"`` (committed in ``data/``), ``"package"`` (inside an installed
    package) or ``"download"``."""
    chapters: tuple[int, ...] = field(default_factory=tuple)

    def __post_init__(self):
        if self.source not in ("repository", "package", "download"):
            raise ValueError(f"source must be 'repository', 'package' or 'download', "
                             f"got {self.source!r}")
        if self.url is not None and not self.sha256:
            raise ValueError(f"dataset {self.name!r} has a url but no sha256")


REGISTRY: dict[str, Dataset] = {}

#: Where files committed in ``data/`` are downloaded from when svdlab is installed without a
#: checkout (Colab, ``pip install git+...``). It must follow ``repository.url`` and
#: ``repository.branch`` in ``_config.yml`` (a test checks it). ``$SVDLAB_DATA_URL`` overrides it
#: for a fork or a mirror; it is read when a file is fetched, so setting it in a running
#: notebook works (see :func:`download_url`).
DEFAULT_DATA_URL = "https://github.com/svd-course-book/svd-book/raw/main/data/"
REPOSITORY_DATA_URL = os.environ.get("SVDLAB_DATA_URL", DEFAULT_DATA_URL)


def register(dataset: Dataset) -> Dataset:
    """Add ``dataset`` to the registry (replacing an entry of the same name).

    A ``"repository"`` dataset without a URL gets one in :data:`REPOSITORY_DATA_URL`, so an
    installation without ``data/`` can still download the committed file (hash-checked).

    Parameters
    ----------
    dataset : Dataset
        The entry to add.

    Returns
    -------
    Dataset
        The entry as registered (with its URL filled in, for a repository file).

    Raises
    ------
    TypeError
        If ``dataset`` is not a :class:`Dataset`.

    Examples
    --------
    >>> d = register(Dataset("toy-doc", "a toy file", "CC0-1.0", "nobody",
    ...                      filename="toy.txt", source="repository", sha256="0" * 64))
    >>> d.url.endswith("/data/toy.txt")
    True
    >>> del REGISTRY["toy-doc"]
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"dataset must be a Dataset, got {type(dataset).__name__}")
    if dataset.source == "repository" and dataset.url is None and dataset.filename:
        dataset = replace(dataset, url=REPOSITORY_DATA_URL.rstrip("/") + "/" + dataset.filename)
    REGISTRY[dataset.name] = dataset
    return dataset


def list_datasets() -> list[Dataset]:
    """All registered datasets, sorted by name.

    Examples
    --------
    >>> names = [d.name for d in list_datasets()]
    >>> "camera" in names
    True
    """
    return [REGISTRY[k] for k in sorted(REGISTRY)]


def get_info(name: str) -> Dataset:
    """The registry entry of ``name``, with a clear error listing the known names.

    Parameters
    ----------
    name : str
        A registered dataset's name (see :func:`list_datasets`).

    Returns
    -------
    Dataset

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If no dataset of that name is registered; the message lists the known names.

    Examples
    --------
    >>> get_info("camera").source
    'package'
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a dataset name (str), got {type(name).__name__}")
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ValueError(f"name must be a registered dataset ({known}); got {name!r}") from None


def data_dir() -> Path | None:
    """``data/`` of the source checkout this package was imported from, if any."""
    candidate = Path(__file__).resolve().parents[2] / "data"
    return candidate if candidate.is_dir() else None


def cache_dir() -> Path:
    """The user cache for downloaded data: ``$SVDLAB_DATA`` or the platform cache folder."""
    env = os.environ.get("SVDLAB_DATA")
    if env:
        return Path(env).expanduser()
    import pooch

    return Path(pooch.os_cache("svdlab"))


def sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    str
        64 lowercase hexadecimal digits.

    Raises
    ------
    OSError
        If the file cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "empty"
    >>> _ = p.write_bytes(b"")
    >>> sha256(p)[:16]     # the SHA-256 of no bytes
    'e3b0c44298fc1c14'
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def package_file(package: str, relpath: str) -> Path | None:
    """Path of a data file shipped inside an installed package, without importing it.

    Parameters
    ----------
    package : str
        The package's import name (``"skimage"``).
    relpath : str
        The file's path inside the package (``"data/camera.png"``).

    Returns
    -------
    pathlib.Path or None
        ``None`` when the package or the file is not installed.

    Examples
    --------
    >>> package_file("skimage", "data/camera.png").name
    'camera.png'
    >>> package_file("no_such_package_here", "x") is None
    True
    """
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        p = Path(root) / relpath
        if p.is_file():
            return p
    return None


def download_url(ds: Dataset) -> str | None:
    """The URL a dataset is downloaded from, with ``$SVDLAB_DATA_URL`` applied *now*.

    A ``"repository"`` file (committed in ``data/``) is looked up under
    ``$SVDLAB_DATA_URL`` when that variable is set at the time of the call, so a fork, a
    mirror or a local server can serve the book's data; other datasets keep their own URL.

    Parameters
    ----------
    ds : Dataset
        A registry entry.

    Returns
    -------
    str or None
        ``None`` when the dataset cannot be downloaded by svdlab.

    Examples
    --------
    >>> import os
    >>> ds = get_info("sotu")
    >>> os.environ["SVDLAB_DATA_URL"] = "http://127.0.0.1:8000/data"
    >>> download_url(ds)
    'http://127.0.0.1:8000/data/sotu.jsonl.gz'
    >>> del os.environ["SVDLAB_DATA_URL"]
    >>> download_url(ds) == REPOSITORY_DATA_URL + "sotu.jsonl.gz"
    True
    """
    if not isinstance(ds, Dataset):
        raise TypeError(f"ds must be a Dataset, got {type(ds).__name__}")
    base = os.environ.get("SVDLAB_DATA_URL")
    if ds.source == "repository" and ds.filename and base:
        return base.rstrip("/") + "/" + ds.filename
    return ds.url


def _verified(path: Path, ds: Dataset) -> Path:
    if ds.sha256:
        got = sha256(path)
        if got != ds.sha256:
            raise DatasetError(
                f"{ds.name}: {path} has SHA-256 {got}, expected {ds.sha256}. "
                "The file is corrupt or a different version; delete it and fetch again."
            )
    return path


def fetch(name: str, *, download: bool = True, cache: str | os.PathLike | None = None,
          verbose: bool = False) -> Path:
    """Local path of a registered data file: checkout ``data/``, then cache, then download.

    Parameters
    ----------
    name : str
        A registered dataset with a ``filename``.
    download : bool
        Allow a download when the file is in neither place.
    cache : path, optional
        Cache folder (default :func:`cache_dir`).
    verbose : bool
        Print where the file came from.

    Raises
    ------
    DatasetError
        When the file is unavailable (offline, no URL) or its hash does not match.
    """
    ds = get_info(name)
    if ds.filename is None:
        raise ValueError(f"name {name!r} is not a file dataset; use its own loader")
    where = []
    local = data_dir()
    if local is not None and (local / ds.filename).is_file():
        path = _verified(local / ds.filename, ds)
        if verbose:
            print(f"{name}: using the repository copy {path}")
        return path
    where.append(f"{local / ds.filename}" if local else "data/ (no checkout)")
    cache = Path(cache) if cache is not None else cache_dir()
    cached = cache / ds.filename
    if cached.is_file():
        path = _verified(cached, ds)
        if verbose:
            print(f"{name}: using the cached copy {path}")
        return path
    where.append(str(cached))
    url = download_url(ds)
    if not download or url is None:
        how = f"download it from {url}" if url else "see its documentation"
        raise DatasetError(
            f"{name} is not available offline (looked in {', '.join(where)}); {how} "
            f"and place it at {cached}"
        )
    import pooch

    cache.mkdir(parents=True, exist_ok=True)
    try:
        path = pooch.retrieve(
            url,
            known_hash=f"sha256:{ds.sha256}",
            fname=ds.filename,
            path=cache,
            progressbar=False,
        )
    except ValueError as exc:  # pooch: hash mismatch; the file was not kept
        raise DatasetError(f"{name}: the download from {url} failed its hash check "
                           f"and was discarded ({exc})") from exc
    except Exception as exc:  # network errors
        raise DatasetError(f"{name}: could not download {url} ({exc}); "
                           f"check your connection or place the file at {cached}") from exc
    if verbose:
        print(f"{name}: downloaded {url} to {path} (SHA-256 verified)")
    return Path(path)
