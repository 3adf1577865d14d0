"""Test images bundled with installed packages (scikit-image, scikit-learn, matplotlib)."""

from __future__ import annotations

import numpy as np

from ._registry import Dataset, register

__all__ = ["load_image", "IMAGES"]

_SKIMAGE_CITE = "S. van der Walt et al., scikit-image: image processing in Python, PeerJ 2:e453 (2014)"

IMAGES = {
    "camera": ("skimage", "camera", "Cameraman, 512x512 grayscale", "CC0 (scikit-image, "
               "photographed by Lav Varshney)"),
    "astronaut": ("skimage", "astronaut", "Astronaut Eileen Collins, 512x512 RGB",
                  "public domain (NASA)"),
    "coffee": ("skimage", "coffee", "A cup of coffee, 400x600 RGB", "CC0 (Rachel Michetti)"),
    "chelsea": ("skimage", "chelsea", "Chelsea the cat, 300x451 RGB", "CC0 (Stefan van der Walt)"),
    "china": ("sklearn", "china.jpg", "Summer Palace, China, 427x640 RGB", "CC BY 2.0 "
              "(scikit-learn sample image)"),
    "flower": ("sklearn", "flower.jpg", "A flower, 427x640 RGB", "CC BY 2.0 "
               "(scikit-learn sample image)"),
}

for _name, (_pkg, _key, _desc, _lic) in IMAGES.items():
    register(Dataset(name=_name, description=_desc, license=_lic,
                     citation=_SKIMAGE_CITE if _pkg == "skimage" else "scikit-learn sample images",
                     source="package", chapters=(1, 2, 5)))


def _raw(name: str) -> np.ndarray:
    pkg, key, _, _ = IMAGES[name]
    if pkg == "skimage":
        import skimage.data

        return getattr(skimage.data, key)()
    from sklearn.datasets import load_sample_image

    return load_sample_image(key)


def load_image(name: str, *, as_gray: bool = False) -> np.ndarray:
    """Load a bundled test image as floats in [0, 1].

    Parameters
    ----------
    name : {"camera", "astronaut", "coffee", "chelsea", "china", "flower"}
        The image; :func:`list_datasets` gives each one's license.
    as_gray : bool, default False
        Convert colour images to luminance with ITU-R BT.709 weights
        (``skimage.color.rgb2gray``).

    Returns
    -------
    ndarray of float64, shape (m, n) or (m, n, 3), values in [0, 1]
        The image (an alpha channel is dropped).

    Raises
    ------
    ValueError
        If ``name`` is not one of the bundled images.

    Notes
    -----
    ``plt.imread`` on a JPEG returns integers 0-255 and on a PNG floats in
    [0, 1]; mixing the two silently breaks a PSNR computed with peak 1.0. This
    loader always returns floats in [0, 1]. Taught in chapter 5 (image processing),
    which compresses, denoises and completes these images.

    Examples
    --------
    >>> img = load_image("camera")
    >>> img.shape, img.dtype, float(img.min()) >= 0.0, float(img.max()) <= 1.0
    ((512, 512), dtype('float64'), True, True)
    """
    if not isinstance(name, str) or name not in IMAGES:
        raise ValueError(f"name must be one of {', '.join(sorted(IMAGES))}; got {name!r}")
    img = _raw(name)
    img = img.astype(np.float64) / 255.0 if img.dtype == np.uint8 else img.astype(np.float64)
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[..., :3]
    if as_gray and img.ndim == 3:
        from skimage.color import rgb2gray

        img = rgb2gray(img)
    return np.clip(img, 0.0, 1.0)
