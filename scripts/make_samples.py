#!/usr/bin/env python3
"""Draw the bundled sample keyframes (all ours, made with numpy + OpenCV) and the sample project.

    python scripts/make_samples.py [--out resources/samples]

Writes three key pairs, a motion-paths file for the ball, `ball.ibw` (made with `inbetweener new`, then rendered)
and the app icon. Deterministic: the same pixels every run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
W, H = 512, 384
AA = cv2.LINE_AA
SHIFT = 4  # sub-pixel drawing: coordinates are multiplied by 2**SHIFT
GROUND_Y = 318

# The ball's centre on each key and the arc between them (pixels, x right, y down).
BALL_A = (96.0, 150.0)
BALL_B = (402.0, 286.0)
BALL_R = 34.0
BALL_VIA = ((170.0, 20.0), (330.0, 10.0))


def _p(x: float, y: float) -> tuple[int, int]:
    return int(round(x * (1 << SHIFT))), int(round(y * (1 << SHIFT)))


def _save_rgba(path: Path, rgba: np.ndarray) -> None:
    ok = cv2.imwrite(str(path), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:
        raise SystemExit(f"could not write {path}")


# -- the ball on an arc ------------------------------------------------------------------------
def ball_background() -> np.ndarray:
    """Sky gradient over a grassy ground band with soft, low-frequency texture (compresses well)."""
    rng = np.random.default_rng(7)
    img = np.zeros((H, W, 4), np.float32)
    t = np.linspace(0.0, 1.0, GROUND_Y)[:, None]
    img[:GROUND_Y, :, 0] = 120 + 90 * t
    img[:GROUND_Y, :, 1] = 170 + 60 * t
    img[:GROUND_Y, :, 2] = 235 + 10 * t
    grass = cv2.resize(rng.normal(0, 1, (12, 32)).astype(np.float32), (W, H - GROUND_Y),
                       interpolation=cv2.INTER_CUBIC)
    img[GROUND_Y:, :, 0] = 92 + 10 * grass
    img[GROUND_Y:, :, 1] = 150 + 16 * grass
    img[GROUND_Y:, :, 2] = 70 + 8 * grass
    img[..., 3] = 255
    out = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    # A few clouds and tufts so flow has texture to hold on to.
    for cx, cy, s in ((70, 60, 1.0), (300, 80, 1.3), (450, 40, 0.8)):
        for dx, dy, r in ((0, 0, 18), (20, -8, 22), (42, 0, 17), (20, 6, 20)):
            cv2.circle(out, _p(cx + dx * s, cy + dy * s), int(r * s * (1 << SHIFT)), (250, 252, 255, 255),
                       -1, AA, SHIFT)
    for x in range(8, W, 23):
        h = 6 + (x * 37 % 9)
        cv2.line(out, _p(x, GROUND_Y + 2), _p(x + 3, GROUND_Y - h), (60, 120, 50, 255), 2, AA, SHIFT)
    cv2.line(out, (0, GROUND_Y), (W, GROUND_Y), (55, 95, 45, 255), 2, AA)
    return out


def draw_ball(img: np.ndarray, centre: tuple[float, float], squash: float) -> None:
    """A shaded red ball with outline and highlight; squash > 1 flattens it (wider, lower)."""
    cx, cy = centre
    rx, ry = BALL_R * squash, BALL_R / squash
    # Shadow on the ground: smaller and fainter the higher the ball is.
    height = max(0.0, GROUND_Y - (cy + ry))
    k = 1.0 / (1.0 + height / 120.0)
    shadow = img.copy()
    cv2.ellipse(shadow, _p(cx, GROUND_Y + 4), _p(rx * 1.1 * k, 7 * k), 0, 0, 360, (40, 70, 35, 255), -1, AA, SHIFT)
    alpha = 0.55 * k
    img[:] = np.clip(img * (1 - alpha) + shadow * alpha + 0.5, 0, 255).astype(np.uint8)
    # Body: a radial gradient (light from the upper left) clipped to the ellipse.
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    mask = np.zeros((H, W), np.uint8)
    cv2.ellipse(mask, _p(cx, cy), _p(rx, ry), 0, 0, 360, 255, -1, AA, SHIFT)
    light = np.sqrt(((xx - (cx - rx * 0.35)) / rx) ** 2 + ((yy - (cy - ry * 0.4)) / ry) ** 2)
    shade = np.clip(1.3 - 0.6 * light, 0.45, 1.0)
    body = np.stack([225 * shade, 45 * shade + 10, 40 * shade + 10, np.full_like(shade, 255)], axis=2)
    m = (mask.astype(np.float32) / 255.0)[..., None]
    img[:] = np.clip(img * (1 - m) + body * m + 0.5, 0, 255).astype(np.uint8)
    # A stripe around the ball so its rotation and squash read.
    cv2.ellipse(img, _p(cx, cy), _p(rx * 0.98, ry * 0.35), 0, 0, 180, (250, 215, 60, 255), 4, AA, SHIFT)
    cv2.ellipse(img, _p(cx, cy), _p(rx, ry), 0, 0, 360, (60, 15, 15, 255), 3, AA, SHIFT)
    cv2.ellipse(img, _p(cx - rx * 0.38, cy - ry * 0.45), _p(rx * 0.2, ry * 0.12), -30, 0, 360,
                (255, 245, 240, 255), -1, AA, SHIFT)


def ball_keys() -> tuple[np.ndarray, np.ndarray]:
    bg = ball_background()
    a, b = bg.copy(), bg.copy()
    draw_ball(a, BALL_A, 1.0)
    draw_ball(b, BALL_B, 1.3)  # squashed as it lands
    return a, b


def ball_paths() -> dict:
    """The ball's centre on an arc (up, over, down) with ease-in-out, in the --paths format."""
    return {"paths": [{
        "name": "ball",
        "from": list(BALL_A),
        "to": list(BALL_B),
        "via": [list(BALL_VIA[0]), list(BALL_VIA[1])],
        "timing": "ease-in-out",
    }]}


# -- a line-art bean figure changing pose ----------------------------------------------------
def figure_joints(pose: float) -> dict[str, tuple[float, float]]:
    """Where the figure's moving joints are at a pose (0 = arms down, 1 = waving, knee lifted)."""
    cx = 230 + 40 * pose
    lean = -12 * pose
    top, bottom = 130.0, 250.0
    shoulder = (cx + 40 + lean, top + 40)
    ang = np.deg2rad(75 - 125 * pose)  # from hanging down-right to raised up-right
    elbow = (shoulder[0] + 45 * np.cos(ang), shoulder[1] + 45 * np.sin(ang))
    hand = (elbow[0] + 40 * np.cos(ang - 0.5 * pose), elbow[1] + 40 * np.sin(ang - 0.5 * pose))
    hip = (cx - 20, bottom - 4)
    knee = (hip[0] - 6 - 20 * pose, hip[1] + 40 - 25 * pose)
    ankle = (knee[0] - 4, hip[1] + 80 - 40 * pose)
    toe = (ankle[0] - 22, ankle[1])
    return {"shoulder": shoulder, "elbow": elbow, "hand": hand, "hip": hip, "knee": knee, "ankle": ankle,
            "toe": toe}


def figure_paths() -> dict:
    """A path on each of the figure's moving joints, through its poses (a Catmull-Rom chain of
    three cubics through four poses), in the --paths format: the waving arm and the lifted leg
    swing as bones between them."""
    poses = [figure_joints(p) for p in (0.0, 1 / 3, 2 / 3, 1.0)]
    out = []
    for name in poses[0]:
        pts = [np.array(p[name], float) for p in poses]
        chain = [pts[0]]
        for i in range(3):
            before, after = pts[max(i - 1, 0)], pts[min(i + 2, 3)]
            chain += [pts[i] + (pts[i + 1] - before) / 6, pts[i + 1] - (after - pts[i]) / 6, pts[i + 1]]
        out.append({"name": name, "points": [[round(float(v), 2) for v in q] for q in chain], "timing": "linear"})
    return {"paths": out}


def figure(pose: float) -> np.ndarray:
    """Ink on paper: a bean body with head, arms and legs; pose 0 = arms down, 1 = waving."""
    img = np.zeros((H, W, 4), np.uint8)
    img[:] = (248, 244, 232, 255)
    ink = (30, 30, 40, 255)
    cx = 230 + 40 * pose
    lean = -12 * pose
    top, bottom = 130.0, 250.0
    # Bean body as a closed polyline.
    t = np.linspace(0, 2 * np.pi, 90)
    bx = cx + 44 * np.cos(t) + lean * (1 - (np.sin(t) + 1) / 2)
    by = (top + bottom) / 2 + 62 * np.sin(t)
    body = np.stack([bx, by], axis=1) * (1 << SHIFT)
    cv2.polylines(img, [body.astype(np.int32)], True, ink, 3, AA, SHIFT)
    hx, hy = cx + lean - 4 * pose, top - 38
    cv2.circle(img, _p(hx, hy), 32 << SHIFT, ink, 3, AA, SHIFT)
    for ex in (-11, 11):
        cv2.circle(img, _p(hx + ex + 4 * pose, hy - 4), 4 << SHIFT, ink, -1, AA, SHIFT)
    cv2.ellipse(img, _p(hx + 3 * pose, hy + 9), _p(12 + 3 * pose, 2 + 6 * pose), 0, 15, 165, ink, 3, AA, SHIFT)
    # Arms: the right one swings from hanging down to waving overhead.
    joints = figure_joints(pose)
    sh_l, sh_r = (cx - 40 + lean, top + 40), joints["shoulder"]
    elbow, hand = joints["elbow"], joints["hand"]
    cv2.polylines(img, [np.array([_p(*sh_r), _p(*elbow), _p(*hand)], np.int32)], False, ink, 3, AA, SHIFT)
    cv2.circle(img, _p(*hand), 7 << SHIFT, ink, 3, AA, SHIFT)
    l_hand = (sh_l[0] - 25 - 10 * pose, sh_l[1] + 80)
    cv2.polylines(img, [np.array([_p(*sh_l), _p(sh_l[0] - 18, sh_l[1] + 40), _p(*l_hand)], np.int32)],
                  False, ink, 3, AA, SHIFT)
    cv2.circle(img, _p(*l_hand), 7 << SHIFT, ink, 3, AA, SHIFT)
    # Legs: the left knee lifts in the second pose.
    hip = (cx + 20, bottom - 4)
    knee = (hip[0] + 6, hip[1] + 40)
    foot = (knee[0] + 4, hip[1] + 80)
    for leg in ((joints["hip"], joints["knee"], joints["ankle"], joints["toe"]),
                (hip, knee, foot, (foot[0] + 22, foot[1]))):
        cv2.polylines(img, [np.array([_p(*q) for q in leg], np.int32)], False, ink, 3, AA, SHIFT)
    cv2.line(img, _p(40, 336), _p(470, 336), (120, 110, 100, 255), 2, AA, SHIFT)
    return img


# -- a star on a transparent layer (alpha kept end to end) ----------------------------------
def star(centre: tuple[float, float], angle_deg: float, scale: float) -> np.ndarray:
    img = np.zeros((H, W, 4), np.uint8)
    k = np.arange(10)
    r = np.where(k % 2 == 0, 70.0, 30.0) * scale
    a = np.deg2rad(angle_deg) + k * np.pi / 5 - np.pi / 2
    pts = np.stack([centre[0] + r * np.cos(a), centre[1] + r * np.sin(a)], axis=1) * (1 << SHIFT)
    cv2.fillPoly(img, [pts.astype(np.int32)], (255, 200, 40, 255), AA, SHIFT)
    cv2.polylines(img, [pts.astype(np.int32)], True, (150, 80, 10, 255), 4, AA, SHIFT)
    cv2.circle(img, _p(*centre), int(10 * scale) << SHIFT, (150, 80, 10, 255), -1, AA, SHIFT)
    return img


# -- icon ------------------------------------------------------------------------------------
ICON_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">
  <rect x="8" y="8" width="240" height="240" rx="48" fill="#22324a"/>
  <path d="M 58 176 C 84 60, 172 60, 198 176" fill="none" stroke="#f2c14e" stroke-width="8"
        stroke-dasharray="4 14" stroke-linecap="round"/>
  <circle cx="58" cy="176" r="26" fill="#e2483d"/>
  <circle cx="128" cy="92" r="26" fill="#e2483d" fill-opacity="0.45"/>
  <circle cx="198" cy="176" r="26" fill="#e2483d"/>
</svg>
"""


def icon_png(size: int = 256) -> np.ndarray:
    """The SVG icon rasterised by hand (same geometry) so the app needs no SVG renderer for it."""
    s = size / 256.0
    img = np.zeros((size, size, 4), np.uint8)
    mask = np.zeros((size, size), np.uint8)
    r = int(48 * s)
    x0, x1 = int(8 * s), int(248 * s)
    cv2.rectangle(mask, (x0 + r, x0), (x1 - r, x1), 255, -1)
    cv2.rectangle(mask, (x0, x0 + r), (x1, x1 - r), 255, -1)
    for cx, cy in ((x0 + r, x0 + r), (x1 - r, x0 + r), (x0 + r, x1 - r), (x1 - r, x1 - r)):
        cv2.circle(mask, (cx, cy), r, 255, -1, AA)
    img[mask > 0] = (0x22, 0x32, 0x4A, 255)
    img[..., 3] = mask
    u = np.linspace(0, 1, 24)
    p0, p1, p2, p3 = (np.array(p, float) * s for p in ((58, 176), (84, 60), (172, 60), (198, 176)))
    curve = ((1 - u) ** 3)[:, None] * p0 + (3 * (1 - u) ** 2 * u)[:, None] * p1 \
        + (3 * (1 - u) * u ** 2)[:, None] * p2 + (u ** 3)[:, None] * p3
    for x, y in curve[1:-1:2]:
        cv2.circle(img, _p(x, y), int(4 * s) << SHIFT, (0xF2, 0xC1, 0x4E, 255), -1, AA, SHIFT)
    ghost = img.copy()
    cv2.circle(ghost, _p(128 * s, 92 * s), int(26 * s) << SHIFT, (0xE2, 0x48, 0x3D, 255), -1, AA, SHIFT)
    img[:] = np.clip(img * 0.55 + ghost * 0.45 + 0.5, 0, 255).astype(np.uint8)
    img[..., 3] = mask
    for cx in (58, 198):
        cv2.circle(img, _p(cx * s, 176 * s), int(26 * s) << SHIFT, (0xE2, 0x48, 0x3D, 255), -1, AA, SHIFT)
    return img


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "samples")
    parser.add_argument("--icons", type=Path, default=ROOT / "resources")
    parser.add_argument("--no-render", action="store_true", help="leave the sample project's in-betweens empty")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    a, b = ball_keys()
    _save_rgba(out / "ball_a.png", a)
    _save_rgba(out / "ball_b.png", b)
    (out / "ball_paths.json").write_text(json.dumps(ball_paths(), indent=2) + "\n")
    _save_rgba(out / "figure_a.png", figure(0.0))
    _save_rgba(out / "figure_b.png", figure(1.0))
    (out / "figure_paths.json").write_text(json.dumps(figure_paths(), indent=2) + "\n")
    _save_rgba(out / "star_a.png", star((120, 250), 0, 0.8))
    _save_rgba(out / "star_b.png", star((380, 130), 72, 1.2))

    sys.path.insert(0, str(ROOT))
    from inbetweener.cli import main as cli_main

    status = cli_main(["new", str(out / "ball.ibw"), str(out / "ball_a.png"), str(out / "ball_b.png"),
                       "--every", "13", "--fps", "24", "--name", "ball", "--paths", str(out / "ball_paths.json"),
                       "--force", "--quiet"])
    if status:
        return status
    # Rendered with the default engine, so the first start shows (and plays) a finished segment.
    status = 0 if args.no_render else cli_main(["render", str(out / "ball.ibw"), "--quiet"])
    if status:
        return status

    args.icons.mkdir(parents=True, exist_ok=True)
    (args.icons / "icon.svg").write_text(ICON_SVG)
    _save_rgba(args.icons / "icon.png", icon_png())
    for f in sorted(out.iterdir()):
        print(f"{f.relative_to(ROOT) if f.is_relative_to(ROOT) else f}  {f.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
