"""svdlab.plot draws labelled figures and validates input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from svdlab import plot


def teardown_function():
    plt.close("all")


def test_style_applies():
    plot.use_style()
    assert plt.rcParams["axes.spines.top"] is False


def test_spectrum_and_energy_are_labelled():
    s = np.array([5.0, 3.0, 1.0, 0.1, 0.0])
    ax = plot.spectrum(s, label="A")
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    ax = plot.cumulative_energy(s, thresholds=(0.9, 0.95))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("90%" in t for t in labels) and any("95%" in t for t in labels)


def test_unit_circle_map_panels():
    fig = plot.unit_circle_map(np.array([[3.0, 0.0], [4.0, 5.0]]))
    assert len(fig.axes) == 4
    fig = plot.unit_circle_map(np.eye(2), steps=False)
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="2x2"):
        plot.unit_circle_map(np.eye(3))


def test_image_grid():
    fig = plot.image_grid([np.zeros((4, 4)), np.ones((4, 4, 3))], ["a", "b"])
    assert [ax.get_title() for ax in fig.axes[:2]] == ["a", "b"]
    with pytest.raises(ValueError, match="titles"):
        plot.image_grid([np.zeros((4, 4))], ["a", "b"])
    with pytest.raises(ValueError, match="images"):
        plot.image_grid([])
    with pytest.raises(ValueError, match=r"images\[0\]"):
        plot.image_grid([np.zeros(4)])


def test_spectrum_rejects_unsorted():
    with pytest.raises(ValueError, match="s must be sorted"):
        plot.spectrum([1.0, 2.0])
