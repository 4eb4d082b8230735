"""The bundled samples are ours: the script redraws them, and the sample project opens."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from inbetweener.io.images import load_image
from inbetweener.io.paths_json import load_paths

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "resources" / "samples"


def test_script_redraws_the_bundled_keys(tmp_path: Path, make_samples) -> None:
    assert make_samples.main(["--out", str(tmp_path), "--icons", str(tmp_path), "--no-render"]) == 0
    for name in ("ball_a", "ball_b", "figure_a", "figure_b", "star_a", "star_b"):
        fresh, bundled = load_image(tmp_path / f"{name}.png"), load_image(SAMPLES / f"{name}.png")
        assert fresh.shape == bundled.shape == (384, 512, 4)
        # Same drawing (a little slack for anti-aliasing differences between OpenCV builds).
        assert np.mean(np.abs(fresh.astype(int) - bundled.astype(int)) > 8) < 0.002, name
    assert (tmp_path / "icon.png").is_file() and (tmp_path / "icon.svg").read_text().startswith("<svg")


def test_sample_project_and_paths() -> None:
    from inbetweener.io.project_file import load_project

    project = load_project(SAMPLES / "ball.ibw")
    assert (project.width, project.height) == (512, 384) and len(project.keyframes) == 2
    (path,) = project.segments[0].settings.paths
    # Rendered, so the first start plays a finished segment.
    assert len(project.cells) == project.segments[0].count == 12
    assert path.timing.name == "ease-in-out"
    assert path.curve.points == load_paths(SAMPLES / "ball_paths.json")[0].curve.points
    np.testing.assert_array_equal(project.key_image(project.keyframes[0]), load_image(SAMPLES / "ball_a.png"))
    # The path starts on the ball in key A: its pixel there is the ball's red, not sky.
    x, y = (int(v) for v in path.start)
    r, g, b, _ = load_image(SAMPLES / "ball_a.png")[y, x]
    assert r > 150 and g < 120


def test_samples_stay_small() -> None:
    for f in SAMPLES.iterdir():
        assert f.stat().st_size < (1_000_000 if f.suffix == ".ibw" else 400_000), f.name
