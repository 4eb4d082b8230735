"""The diffusion engine end to end on a tiny random model: modes, keys, sizes, seeds, cancel, errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from inbetweener.engines.base import Progress, TweenFrame, TweenRequest  # noqa: E402
from inbetweener.engines.diffusion import DiffusionEngine  # noqa: E402
from inbetweener.errors import EngineError, ModelError  # noqa: E402


def opts(model_dir, **more):
    base = dict(model=str(model_dir), device="cpu", steps=2, threads=1)
    base.update(more)
    return base


def run(request):
    items = list(DiffusionEngine().tween(request))
    frames = {i.index: i.image for i in items if isinstance(i, TweenFrame)}
    return frames, [i for i in items if isinstance(i, Progress)], items


def project_with_keys(a, b, gap):
    from inbetweener.model import ImageData, InsertKeyframe, Project, apply

    project = Project(a.shape[1], a.shape[0])
    project, _ = apply(project, InsertKeyframe(0, ImageData.from_array(a)))
    project, _ = apply(project, InsertKeyframe(gap, ImageData.from_array(b)))
    return project


@pytest.mark.parametrize("mode", ["fuse", "rotate", "finetuned"])
def test_each_mode_makes_the_whole_sequence_with_exact_keys(tiny_model_dir, tiny_backward_dir, mode, make_keys):
    from inbetweener.jobs import frames_command, plan_segment, run_job
    from inbetweener.model import apply
    from inbetweener.model.lookup import shown_at

    a, b = make_keys(64, 48)
    project = project_with_keys(a, b, 6)  # 5 in-betweens
    job = plan_segment(project, 0, engine="diffusion",
                       options=opts(tiny_model_dir, mode=mode, backward_unet=str(tiny_backward_dir)))
    made = [f for f in run_job(job) if not isinstance(f, Progress)]
    assert sorted(f.frame for f in made) == [1, 2, 3, 4, 5]
    project, _ = apply(project, frames_command(made))
    shown = [shown_at(project, f) for f in range(7)]
    assert [s.hold for s in shown] == [False] * 7  # every frame is a key or a generated cell
    sequence = [project.image(s.image_id) for s in shown]
    assert np.array_equal(sequence[0], a) and np.array_equal(sequence[6], b)
    for image in sequence[1:6]:
        assert image.shape == (48, 64, 4) and image.dtype == np.uint8
    assert len({image.tobytes() for image in sequence[1:6]}) == 5  # really generated, not copies


def test_seed_determinism(tiny_model_dir, make_keys):
    a, b = make_keys()
    times = (0.5,)
    settings = opts(tiny_model_dir, num_frames=3, renoise=2)
    first, _, _ = run(TweenRequest(a, b, times, seed=7, options=settings))
    again, _, _ = run(TweenRequest(a, b, times, seed=7, options=settings))
    other, _, _ = run(TweenRequest(a, b, times, seed=8, options=settings))
    assert np.array_equal(first[0], again[0])
    assert not np.array_equal(first[0], other[0])


def test_uneven_times_odd_canvas_and_end_times(tiny_model_dir, make_keys):
    a, b = make_keys(90, 50)
    times = (0.0, 0.1, 0.5, 0.93, 1.0)
    frames, _, _ = run(TweenRequest(a, b, times, options=opts(tiny_model_dir, num_frames=4, mode="rotate")))
    assert sorted(frames) == [0, 1, 2, 3, 4]
    assert all(f.shape == (50, 90, 4) for f in frames.values())
    assert np.array_equal(frames[0], a) and np.array_equal(frames[4], b)


def test_progress_every_step_and_frames_stream_while_decoding(tiny_model_dir, make_keys):
    a, b = make_keys()
    request = TweenRequest(a, b, tuple(i / 6 for i in range(1, 6)),
                           options=opts(tiny_model_dir, steps=4, renoise=3, renoise_fraction=0.5, decode_chunk=2,
                                        strength=1.0))
    items = []
    for item in DiffusionEngine().tween(request):
        assert not torch.is_inference_mode_enabled()  # nothing leaks to the caller between yields
        items.append(item)
    progress = [i for i in items if isinstance(i, Progress)]
    steps = [p for p in progress if p.message.startswith("denoising:")]
    assert len(steps) == 3 + 3 + 1 + 1  # the first half of the steps repeat three times
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    first_frame = next(i for i, item in enumerate(items) if isinstance(item, TweenFrame))
    last_decode = max(i for i, item in enumerate(items) if isinstance(item, Progress) and "decod" in item.message)
    assert first_frame < last_decode  # a frame arrives before the decoding is over


@pytest.mark.parametrize("stop_at, strength", [("denoising: step 2", 1.0), ("guide frame 1", 0.5)])
def test_cancel_between_steps_leaves_nothing(tiny_model_dir, tiny_model, make_keys, stop_at, strength):
    a, b = make_keys()
    request = TweenRequest(a, b, (0.5,), options=opts(tiny_model_dir, steps=5, strength=strength, num_frames=5))
    gen = DiffusionEngine().tween(request)
    seen = []
    for item in gen:
        seen.append(item)
        if isinstance(item, Progress) and item.message.startswith(stop_at):
            break
    gen.close()
    assert isinstance(seen[-1], Progress) and seen[-1].message.startswith(stop_at)
    assert not any(isinstance(i, TweenFrame) for i in seen)
    assert tiny_model.maps.mode == "plain" and not tiny_model.maps.recorded


def test_cuda_out_of_memory_becomes_one_sentence(tiny_model_dir, monkeypatch, make_keys):
    from inbetweener.engines.diffusion.discovery import find_model
    from inbetweener.engines.diffusion.loader import load_model

    model = load_model(find_model(tiny_model_dir), torch.device("cpu"), torch.float32)

    def out_of_memory(*args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(model.unet, "forward", out_of_memory)
    a, b = make_keys()
    with pytest.raises(EngineError) as err:
        run(TweenRequest(a, b, (0.5,), options=opts(tiny_model_dir, dtype="fp32", strength=1.0)))
    message = str(err.value)
    assert "out of memory" in message and "offload=model" in message and "decode_chunk=1" in message
    assert "\n" not in message


def test_transparent_keys_keep_alpha_from_the_guides(tiny_model_dir, make_keys):
    a, b = make_keys(64, 64, alpha=True)
    frames, _, _ = run(TweenRequest(a, b, (0.5,), options=opts(tiny_model_dir, num_frames=3)))
    from inbetweener.engines.diffusion.frames import helper_engine, run_helper

    guide = run_helper(helper_engine(), a, b, [0.5], (), 0)[0]
    alpha = frames[0][..., 3]
    assert np.array_equal(alpha, guide[..., 3])  # the alpha is the flow engine's warp
    assert alpha[2:8, 2:8].max() == 0 and alpha.max() == 255  # transparent paper, opaque ink


def test_bad_options_and_models_get_one_sentence(tiny_model_dir, tmp_path, make_keys):
    a, b = make_keys()
    cases = [
        (dict(mode="finetuned"), EngineError, "backward_unet"),
        (dict(steps="many"), EngineError, "not a number"),
        (dict(strength=3), EngineError, "out of range"),
        (dict(mode="sideways"), EngineError, "choose one of"),
        (dict(resolution="big"), EngineError, "WIDTHxHEIGHT"),
        (dict(device=1), EngineError, "unknown device"),  # --option device=1 arrives as a number
        (dict(dtype=16), EngineError, "unknown dtype"),
        (dict(model=str(tmp_path / "none")), ModelError, "does not exist"),
        (dict(backward_unet=str(tmp_path)), ModelError, "backward UNet"),
    ]
    if not torch.cuda.is_available():
        cases.append((dict(device="cuda"), EngineError, "no CUDA"))
    for extra, kind, words in cases:
        with pytest.raises(kind, match=words):
            run(TweenRequest(a, b, (0.5,), options=opts(tiny_model_dir, **extra)))


def test_no_times_means_no_work(make_keys, tmp_path):
    a, b = make_keys()
    items = list(DiffusionEngine().tween(TweenRequest(a, b, (), options=dict(model=str(tmp_path / "absent")))))
    assert [type(i) for i in items] == [Progress] and items[0].fraction == 1.0


def test_engine_is_registered_and_lists_its_options():
    from inbetweener.engines.base import engine_class, engine_names

    assert "diffusion" in engine_names()
    cls = engine_class("diffusion")
    assert cls is DiffusionEngine and cls.unavailable_reason() is None
    names = {o.name for o in cls.options}
    assert {"model", "device", "dtype", "steps", "mode", "strength", "guidance_min", "guidance_max",
            "motion_bucket", "fps", "noise_aug", "renoise", "decode_chunk", "offload", "threads",
            "num_frames", "backward_unet"} <= names


def test_cli_tween_with_the_tiny_model(tiny_model_dir, tmp_path, make_keys):
    cli = pytest.importorskip("inbetweener.cli")
    from inbetweener.io.png import decode_png_rgba as decode_png
    from inbetweener.io.png import encode_png_rgba as encode_png

    a, b = make_keys(96, 64)
    (tmp_path / "a.png").write_bytes(encode_png(a))
    (tmp_path / "b.png").write_bytes(encode_png(b))
    out = tmp_path / "out"
    status = cli.main(["tween", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--inbetweens", "5",
                       "--engine", "diffusion", "--model", str(tiny_model_dir), "--device", "cpu", "--steps", "2",
                       "--out", str(out), "--quiet"])
    assert status == 0
    files = sorted(out.glob("*.png"))
    assert len(files) == 7
    assert np.array_equal(decode_png(files[0].read_bytes()), a)
    assert np.array_equal(decode_png(files[-1].read_bytes()), b)
    assert decode_png(files[3].read_bytes()).shape == (64, 96, 4)
