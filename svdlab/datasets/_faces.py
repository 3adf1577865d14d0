"""Faces: the LFW subset bundled with scikit-image (chapter 11a)."""

from __future__ import annotations

import numpy as np

from ._registry import Dataset, register

__all__ = ["load_lfw_subset"]

LFW_SUBSET = register(Dataset(
    name="lfw_subset",
    description="100 faces and 100 non-face patches from Labeled Faces in the Wild, "
                "25x25 grayscale (scikit-image's data.lfw_subset)",
    license="no license stated for LFW; read from the installed scikit-image, never "
            "redistributed",
    citation="G. B. Huang, M. Ramesh, T. Berg and E. Learned-Miller, Labeled Faces in the "
             "Wild: a database for studying face recognition in unconstrained "
             "environments, UMass Amherst technical report 07-49, 2007",
    source="package",
    chapters=(11,),
))


def load_lfw_subset(*, faces_only: bool = True) -> np.ndarray:
    """The LFW subset of scikit-image as floats in [0, 1].

    Parameters
    ----------
    faces_only : bool, default True
        Return the 100 faces only; ``False`` adds the 100 non-face background patches
        that follow them.

    Returns
    -------
    ndarray of float64, shape (100, 25, 25) or (200, 25, 25)
        Images in rows; ``images.reshape(len(images), -1)`` is the data matrix with one
        face per row (625 pixels).

    Raises
    ------
    TypeError
        If ``faces_only`` is not a bool.

    References
    ----------
    G. B. Huang et al., "Labeled Faces in the Wild", UMass Amherst TR 07-49, 2007.
    Taught in chapter 11a.

    Examples
    --------
    >>> faces = load_lfw_subset()
    >>> faces.shape, faces.dtype, float(faces.min()) >= 0.0, float(faces.max()) <= 1.0
    ((100, 25, 25), dtype('float64'), True, True)
    """
    if not isinstance(faces_only, (bool, np.bool_)):
        raise TypeError(f"faces_only must be True or False, got {faces_only!r}")
    import skimage.data

    images = np.asarray(skimage.data.lfw_subset(), dtype=np.float64)
    if images.max() > 1.0:       # documented as uint8; some versions ship floats in [0, 1]
        images = images / 255.0
    images = np.clip(images, 0.0, 1.0)
    return images[:100] if faces_only else images
