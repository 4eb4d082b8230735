"""Security: no pickle, no eval/exec, weights only from safetensors or torch.load(weights_only=True),
models only from local files; export names cannot leave the chosen folder."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbetweener.cli import main
from inbetweener.io.export import write_png_sequence
from inbetweener.io.project_file import MAX_NAME_CHARS, save_project
from inbetweener.model.images import ImageData
from inbetweener.model.project import Keyframe, Project, SegmentSettings

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ["inbetweener", "ui", "bench", "scripts", "installer", "tests"]
UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "shelve", "marshal", "joblib"}


def _kwarg_true(call: ast.Call, name: str, safe_dicts: set[str]) -> bool:
    for kw in call.keywords:
        if kw.arg == name:
            return isinstance(kw.value, ast.Constant) and kw.value.value is True
        if kw.arg is None and isinstance(kw.value, ast.Name) and kw.value.id in safe_dicts:
            return True
    return False


def _dicts_with(tree: ast.AST, name: str) -> set[str]:
    """Names bound to dict(...) / {...} literals that set `name` to True (used as **kwargs)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            v = node.value
            if isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "dict":
                if any(k.arg == name and isinstance(k.value, ast.Constant) and k.value.value is True
                       for k in v.keywords):
                    found.add(node.targets[0].id)
            elif isinstance(v, ast.Dict):
                for k, val in zip(v.keys, v.values, strict=True):
                    if isinstance(k, ast.Constant) and k.value == name and isinstance(val, ast.Constant) \
                            and val.value is True:
                        found.add(node.targets[0].id)
    return found


def unsafe_uses(source: str, where: str, product: bool = True) -> list[str]:
    """Every unsafe construct in one Python source, as 'file:line what'. Tests may load the tiny
    models they just wrote from a local folder (`product=False` skips the from_pretrained rule)."""
    tree = ast.parse(source)
    offline = _dicts_with(tree, "local_files_only")
    safetensors = _dicts_with(tree, "use_safetensors")
    problems = []
    for node in ast.walk(tree):
        line = f"{where}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            problems += [f"{line} imports {a.name}" for a in node.names if a.name.split(".")[0] in UNSAFE_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in UNSAFE_MODULES:
            problems.append(f"{line} imports from {node.module}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
            if isinstance(func, ast.Name) and name in ("eval", "exec", "__import__"):
                problems.append(f"{line} calls {name}()")
            elif name == "load" and owner == "torch" and not _kwarg_true(node, "weights_only", set()):
                problems.append(f"{line} torch.load without weights_only=True")
            elif name == "load" and owner in ("np", "numpy") and any(
                    k.arg == "allow_pickle" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
                    for k in node.keywords):
                problems.append(f"{line} numpy.load with allow_pickle")
            elif name == "load" and owner == "yaml":
                problems.append(f"{line} yaml.load (use yaml.safe_load)")
            elif name == "from_pretrained" and product:
                if not _kwarg_true(node, "local_files_only", offline):
                    problems.append(f"{line} from_pretrained without local_files_only=True")
                if not _kwarg_true(node, "use_safetensors", safetensors):
                    problems.append(f"{line} from_pretrained without use_safetensors=True")
            elif name in ("hf_hub_download", "snapshot_download", "urlopen", "urlretrieve"):
                problems.append(f"{line} downloads ({name})")
    return problems


def test_the_scanner_finds_what_it_looks_for() -> None:
    bad = (
        "import pickle\nfrom dill import loads\nimport torch\nx = eval('1')\n"
        "torch.load('w.pt')\ntorch.load('w.pt', weights_only=False)\n"
        "np.load('a.npy', allow_pickle=True)\nModel.from_pretrained('m')\nhf_hub_download('r', 'f')\n"
    )
    found = unsafe_uses(bad, "bad.py")
    assert len(found) == 9, found
    good = (
        "import torch\nm.eval()\napp.exec()\ntorch.load('w.pt', weights_only=True)\n"
        "common = dict(local_files_only=True, use_safetensors=True)\nModel.from_pretrained('m', **common)\n"
    )
    assert unsafe_uses(good, "good.py") == []


def test_no_unsafe_code_in_the_tree() -> None:
    problems = []
    files = 0
    for top in SCANNED:
        for file in sorted((ROOT / top).rglob("*.py")) if (ROOT / top).is_dir() else []:
            if file.resolve() == Path(__file__).resolve():
                continue  # this file spells out what it looks for
            files += 1
            problems += unsafe_uses(file.read_text(encoding="utf-8"), str(file.relative_to(ROOT)),
                                    product=top != "tests")
    assert files > 30
    assert problems == []


def _tiny_project(name: str) -> Project:
    a = ImageData.from_array(np.full((8, 8, 4), 10, np.uint8))
    b = ImageData.from_array(np.full((8, 8, 4), 200, np.uint8))
    return Project(8, 8, 24.0, (Keyframe(0, a.content_id()), Keyframe(3, b.content_id())),
                   (SegmentSettings(engine="crossfade"),), {}, {a.content_id(): a, b.content_id(): b}, name=name)


def _all_files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


HOSTILE_NAMES = ["../../escape", "/etc/passwd", "..", "a/../../b", "C:\\evil", "con", "\x00nul", "x" * 500,
                 "..\\..\\win", "~/home", " . ", "\u202eevil"]


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
def test_export_of_a_hostile_project_name_stays_in_the_folder(tmp_path, capsys, hostile) -> None:
    work = tmp_path / "work"
    work.mkdir()
    project_file = work / "p.ibw"
    # Names over the limit are refused at save (the loader refuses them); the longest allowed one goes.
    save_project(_tiny_project(hostile[:MAX_NAME_CHARS]), project_file)
    out = work / "out"
    before = _all_files(tmp_path)
    code = main(["export", str(project_file), "--out", str(out), "-q"])
    assert code in (0, 2), capsys.readouterr().err
    new = _all_files(tmp_path) - before
    assert all(out.resolve() in p.resolve().parents for p in new), new


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
def test_tween_name_stays_in_the_folder(tmp_path, capsys, hostile) -> None:
    import cv2

    keys = tmp_path / "keys"
    keys.mkdir()
    for n, v in (("a", 20), ("b", 220)):
        cv2.imwrite(str(keys / f"{n}.png"), np.full((8, 8, 4), v, np.uint8))
    out = tmp_path / "out"
    before = _all_files(tmp_path)
    code = main(["tween", str(keys / "a.png"), str(keys / "b.png"), "-n", "1", "--out", str(out),
                 "--engine", "crossfade", "--name", hostile, "-q"])
    assert code in (0, 2), capsys.readouterr().err
    new = _all_files(tmp_path) - before
    assert all(out.resolve() in p.resolve().parents for p in new), new


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=40))
def test_any_sequence_name_writes_inside_the_folder(tmp_path, name) -> None:
    out = tmp_path / "seq"
    try:
        written = write_png_sequence([np.zeros((2, 2, 4), np.uint8)], out, name)
    except Exception as exc:  # a refusal is fine if it is the user-facing kind
        from inbetweener.errors import UserError

        assert isinstance(exc, UserError)
        return
    assert all(p.resolve().parent == out.resolve() for p in written)
