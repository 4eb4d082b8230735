"""Hostile and broken project files: always one ProjectFileError line, never another exception,
never a hang, never a write. Hypothesis picks the mutations; bench/fuzz_project.py runs 10,000+."""

from __future__ import annotations

import copy
import json
import random
import tracemalloc

import fuzzcases as fc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbetweener.errors import ProjectFileError
from inbetweener.io.project_file import SCHEMA_VERSION, load_project

FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
MAX_SECONDS_PER_CASE = 5.0


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory):
    # One empty folder inside its own parent, so any file the loader made would show up.
    folder = tmp_path_factory.mktemp("fuzz") / "case"
    folder.mkdir()
    return folder


def check(outcome: fc.Outcome) -> None:
    assert outcome.kind in ("loaded", "ProjectFileError"), outcome
    assert not outcome.wrote_outside, outcome
    assert outcome.seconds < MAX_SECONDS_PER_CASE, outcome
    if outcome.kind == "ProjectFileError":
        assert outcome.message and "\n" not in outcome.message and len(outcome.message) < 400, outcome
        assert "Traceback" not in outcome.message


def load_error(data: bytes, tmp_path) -> str:
    target = tmp_path / "hostile.ibw"
    target.write_bytes(data)
    with pytest.raises(ProjectFileError) as info:
        load_project(target)
    return str(info.value)


def test_the_base_project_loads(case_dir) -> None:
    # Otherwise every mutation would fail for the wrong reason.
    assert fc.load_case(fc.base()[0], case_dir).kind == "loaded"


@FUZZ
@given(kind=st.sampled_from(sorted(fc.MUTATORS)), seed=st.integers(0, 2**32 - 1))
def test_mutated_files_fail_cleanly(case_dir, kind: str, seed: int) -> None:
    check(fc.load_case(fc.MUTATORS[kind](random.Random(seed)), case_dir))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_value_anywhere_in_the_document(case_dir, data) -> None:
    doc = copy.deepcopy(fc.base()[1])
    slots = fc._json_slots(doc)
    slot = data.draw(st.sampled_from(slots), label="where")
    doc = fc._set(doc, slot, data.draw(JSON_VALUES, label="value"))
    check(fc.load_case(fc.with_doc(doc), case_dir))


@pytest.mark.parametrize("name", ["../evil.png", "/etc/evil", "images/../../x", "C:\\evil", "images\\a.png",
                                  "a\nb"])
def test_escaping_member_names_are_refused(tmp_path, name) -> None:
    _, doc, pngs = fc.base()
    data = fc.build_zip([("project.json", json.dumps(doc).encode()), *pngs.items(), (name, b"x")])
    assert "unsafe member name" in load_error(data, tmp_path)
    assert not (tmp_path.parent / "evil.png").exists()


def test_duplicate_members_are_refused(tmp_path) -> None:
    _, doc, pngs = fc.base()
    with pytest.warns(UserWarning):
        data = fc.build_zip([("project.json", json.dumps(doc).encode()), *pngs.items(),
                             ("project.json", b"{}")])
    assert "twice" in load_error(data, tmp_path)


def test_newer_schema_says_update(tmp_path) -> None:
    doc = copy.deepcopy(fc.base()[1])
    doc["schema"] = SCHEMA_VERSION + 1
    message = load_error(fc.with_doc(doc), tmp_path)
    assert "newer" in message and "update" in message


def test_nan_and_infinity_are_refused(tmp_path) -> None:
    text = json.dumps(fc.base()[1]).replace('"fps": 24.0', '"fps": NaN').encode()
    assert "NaN" in load_error(fc.with_doc(None, text=text), tmp_path)


def test_encrypted_members_are_refused(tmp_path) -> None:
    data = bytearray(fc.base()[0])
    pos = data.find(b"PK\x01\x02")
    data[pos + 8] |= 1
    assert "encrypted" in load_error(bytes(data), tmp_path)


def test_png_damaged_before_zipping_is_refused_at_load(tmp_path) -> None:
    _, doc, pngs = fc.base()
    name = sorted(pngs)[0]
    png = bytearray(pngs[name])
    png[len(png) // 2] ^= 0x40  # inside IDAT: the zip CRC is recomputed, the PNG's own CRC is not
    data = fc.build_zip([("project.json", json.dumps(doc).encode()),
                         *((n, bytes(png) if n == name else p) for n, p in pngs.items())])
    assert "PNG" in load_error(data, tmp_path)


@pytest.mark.parametrize("member", ["project.json", "image"])
def test_zip_bomb_refused_by_declared_size(tmp_path, member) -> None:
    _, doc, pngs = fc.base()
    png_name = sorted(pngs)[0]
    if member == "project.json":
        data = fc.bomb_zip("project.json", fc.BOMB_BYTES, fc.BOMB_BYTES, list(pngs.items()))
    else:
        others = [("project.json", json.dumps(doc).encode())] + [(n, p) for n, p in pngs.items() if n != png_name]
        data = fc.bomb_zip(png_name, fc.BOMB_BYTES, fc.BOMB_BYTES, others)
    assert len(data) < 8_000_000  # a small file...
    assert "larger than any project needs" in load_error(data, tmp_path)  # ...declaring ~4 GiB


@pytest.mark.parametrize("member", ["project.json", "image"])
def test_zip_bomb_lying_about_its_size_is_read_boundedly(tmp_path, member) -> None:
    _, doc, pngs = fc.base()
    png_name = sorted(pngs)[0]
    if member == "project.json":
        data = fc.bomb_zip("project.json", fc.BOMB_BYTES, 1000, list(pngs.items()))
    else:
        others = [("project.json", json.dumps(doc).encode())] + [(n, p) for n, p in pngs.items() if n != png_name]
        data = fc.bomb_zip(png_name, fc.BOMB_BYTES, len(pngs[png_name]), others)
    tracemalloc.start()
    try:
        load_error(data, tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024, f"loading a 4 GiB bomb that claims to be small used {peak / 1e6:.0f} MB"


def test_missing_file_and_folder(tmp_path) -> None:
    with pytest.raises(ProjectFileError, match="does not exist"):
        load_project(tmp_path / "nope.ibw")
    with pytest.raises(ProjectFileError, match="folder"):
        load_project(tmp_path)


def _timed_load(tmp_path, doc) -> tuple[fc.Outcome, float]:
    folder = tmp_path / "case"
    folder.mkdir(exist_ok=True)
    outcome = fc.load_case(fc.with_doc(doc), folder)
    return outcome, outcome.seconds


@pytest.mark.parametrize("attack", ["long_path", "many_paths", "many_keys_and_cells"])
def test_small_files_that_cost_a_lot_are_bounded(tmp_path, attack) -> None:
    doc = copy.deepcopy(fc.base()[1])
    image = doc["keyframes"][0]["image"]
    if attack == "long_path":  # 300,001 points in one path
        doc["segments"][0]["paths"] = [{"points": [[i % 50, 3] for i in range(300_001)]}]
    elif attack == "many_paths":
        doc["segments"][0]["paths"] = [doc["segments"][0]["paths"][0]] * 30_000
    else:  # many keys and many cells: a quadratic check would take minutes
        keys = 20_000
        doc["keyframes"] = [{"frame": 2 * i, "image": image} for i in range(keys)]
        doc["segments"] = [{"engine": "flow"}] * (keys - 1)
        doc["cells"] = [{"frame": 2 * i + 1, "image": image} for i in range(keys - 1)]
    outcome, seconds = _timed_load(tmp_path, doc)
    check(outcome)
    if attack != "many_keys_and_cells":
        assert outcome.kind == "ProjectFileError", outcome
        assert "more than" in outcome.message or "at most" in outcome.message
    assert seconds < 5.0, f"{attack}: {seconds:.1f}s"
