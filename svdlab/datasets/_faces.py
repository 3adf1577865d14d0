"""Face images with labels, for eigenfaces (chapters 8 and 9)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._registry import Dataset, DatasetError, cache_dir, register

__all__ = ["Faces", "load_faces"]

register(Dataset(
    name="lfw_subset",
    description="Labeled Faces in the Wild subset bundled with scikit-image: 100 faces and "
                "100 non-face background crops, 25x25 grayscale",
    license="no license stated (LFW); read from the installed scikit-image, not redistributed",
    citation="G. B. Huang, M. Ramesh, T. Berg and E. Learned-Miller, Labeled Faces in the "
             "Wild, UMass technical report 07-49, 2007",
    source="package", chapters=(8, 9)))
register(Dataset(
    name="olivetti",
    description="Olivetti (AT&T ORL) faces: 400 images of 40 people, 64x64 grayscale; "
                "fetched (and checksummed) by scikit-learn's fetch_olivetti_faces, which "
                "svdlab calls; never committed",
    license="free for research with citation (AT&T Laboratories Cambridge)",
    citation="F. S. Samaria and A. C. Harter, Parameterisation of a stochastic model for "
             "human face identification, IEEE Workshop on Applications of Computer Vision, 1994",
    source="package", chapters=(9,)))


@dataclass(frozen=True)
class Faces:
    """Face images and their labels.

    Attributes
    ----------
    images : ndarray of float64, shape (n, h, w), values in [0, 1]
    target : ndarray of int, shape (n,)
        ``lfw_subset``: 1 for a face, 0 for a non-face crop. ``olivetti``: the person (0-39).
    target_names : tuple of str
    name : str

    Examples
    --------
    >>> faces = load_faces()
    >>> faces.data.shape, faces.name
    ((200, 625), 'lfw_subset')

    Used in chapters 8, 9 and 11a (eigenfaces, NMF parts).
    """

    images: np.ndarray
    target: np.ndarray
    target_names: tuple[str, ...]
    name: str

    @property
    def data(self) -> np.ndarray:
        """The images flattened to rows, shape (n, h * w)."""
        return self.images.reshape(self.images.shape[0], -1)


def load_faces(name: str = "lfw_subset", *, download: bool = False) -> Faces:
    """Load a labelled set of face images.

    Parameters
    ----------
    name : {"lfw_subset", "olivetti"}
        ``"lfw_subset"`` ships with scikit-image and is always available; it has no identity
        labels, only face / non-face. ``"olivetti"`` (40 people, 10 images each) is read
        from scikit-learn's cache, or downloaded by scikit-learn when ``download`` is true.
    download : bool, default False
        Allow scikit-learn to download Olivetti (about 1.5 MB).

    Returns
    -------
    Faces

    Raises
    ------
    ValueError
        For an unknown ``name``.
    DatasetError
        When Olivetti is neither cached nor allowed to be downloaded (or the download fails).

    Examples
    --------
    >>> faces = load_faces()
    >>> faces.images.shape, int(faces.target.sum()), faces.target_names
    ((200, 25, 25), 100, ('non-face', 'face'))

    Used in chapters 8, 9 and 11a.
    """
    if name == "lfw_subset":
        import skimage.data

        img = skimage.data.lfw_subset().astype(np.float64)
        if img.max() > 1.0:
            img /= 255.0
        target = np.r_[np.ones(100, dtype=np.int64), np.zeros(img.shape[0] - 100, dtype=np.int64)]
        return Faces(images=np.clip(img, 0.0, 1.0), target=target,
                     target_names=("non-face", "face"), name=name)
    if name == "olivetti":
        from sklearn.datasets import fetch_olivetti_faces

        try:
            bunch = fetch_olivetti_faces(data_home=str(cache_dir() / "scikit_learn_data"),
                                         download_if_missing=bool(download))
        except (OSError, Exception) as exc:   # offline, or not cached and download=False
            raise DatasetError(
                f"olivetti: not in the cache {cache_dir() / 'scikit_learn_data'} and "
                f"{'the download failed' if download else 'download=False'} ({exc}). Call "
                "load_faces('olivetti', download=True) with an internet connection."
            ) from exc
        return Faces(images=np.asarray(bunch.images, dtype=np.float64),
                     target=np.asarray(bunch.target, dtype=np.int64),
                     target_names=tuple(f"person {i}" for i in range(40)), name=name)
    raise ValueError(f"name must be 'lfw_subset' or 'olivetti', got {name!r}")
