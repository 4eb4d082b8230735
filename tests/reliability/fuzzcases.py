"""Hostile and broken project files, made from one small valid project by seeded mutators.

Shared by tests/reliability/test_fuzz_project_file.py (hypothesis picks mutator and seed) and
bench/fuzz_project.py (≥ 10,000 seeded cases). Every mutator returns the bytes of a file to load.
"""

from __future__ import annotations

import copy
import io
import json
import random
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

Mutator = Callable[[random.Random], bytes]


@lru_cache(maxsize=1)
def base() -> tuple[bytes, dict[str, Any], dict[str, bytes]]:
    """A valid project file (2 keys, 1 locked cell with a fingerprint, 1 curved path) as (file bytes, doc, PNG members)."""
    from inbetweener.io.project_file import PROJECT_MEMBER, save_project
    from inbetweener.model.images import ImageData
    from inbetweener.model.project import Cell, FrameStatus, Keyframe, MotionPath, Project, SegmentSettings
    from inbetweener.paths.timing import Timing

    rng = np.random.default_rng(7)
    imgs = [ImageData.from_array(rng.integers(0, 256, (12, 20, 4), dtype=np.uint8)) for _ in range(3)]
    ids = [i.content_id() for i in imgs]
    path = MotionPath.straight((2.0, 3.0), (15.0, 9.0), Timing.parse("ease-in-out"), "hand")
    project = Project(20, 12, 24.0, (Keyframe(0, ids[0]), Keyframe(6, ids[1])),
                      (SegmentSettings("flow", 5, (("strength", 0.5),), (path,)),),
                      {3: Cell(ids[2], FrameStatus.LOCKED, "0123456789abcdef")}, dict(zip(ids, imgs, strict=True)), length=8, name="fuzz")


    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "base.ibw"
        save_project(project, target)
        data = target.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        doc = json.loads(zf.read(PROJECT_MEMBER))
        pngs = {n: zf.read(n) for n in zf.namelist() if n != PROJECT_MEMBER}
    return data, doc, pngs


def build_zip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, payload in members:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = method
            zf.writestr(info, payload)
    return buf.getvalue()


def with_doc(doc: Any, text: bytes | None = None, extra: list[tuple[str, bytes]] | None = None) -> bytes:
    _, _, pngs = base()
    body = text if text is not None else json.dumps(doc).encode()
    return build_zip([("project.json", body), *pngs.items(), *(extra or [])])


# -- JSON-level mutations ---------------------------------------------------------------------------
def _odd_values(rng: random.Random) -> Any:
    return rng.choice([
        None, True, False, 0, -1, -(2**63), 2**64, 10**400, 1e308, -1e308, 0.5, float("nan"), float("inf"),
        float("-inf"), "", "x" * rng.randint(1, 5000), "../../etc/passwd", "/abs", "images/../x.png",
        "\u202e\x00", [], {}, [1, 2], {"a": 1}, [[[]]], "ease-in-out", "locked", "key", 24, 3, 12, 20,
    ])


def _json_slots(node: Any, path: tuple = ()) -> list[tuple]:
    """Every place in the document a value lives (dict keys and list indices)."""
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _json_slots(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _json_slots(v, path + (i,))
    return out


def _set(doc: Any, path: tuple, value: Any, delete: bool = False) -> Any:
    if not path:
        return value
    node = doc
    for step in path[:-1]:
        node = node[step]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


def mutate_json_value(rng: random.Random) -> bytes:
    """Wrong types, missing fields, negative/huge numbers, NaN/inf, long strings anywhere."""
    doc = copy.deepcopy(base()[1])
    for _ in range(rng.randint(1, 3)):
        slots = _json_slots(doc)
        slot = rng.choice(slots)
        if slot and rng.random() < 0.3:
            doc = _set(doc, slot, None, delete=True)
        else:
            doc = _set(doc, slot, _odd_values(rng))
    return with_doc(doc)


def mutate_json_structure(rng: random.Random) -> bytes:
    """Plausible but wrong documents: newer schema, clashing frames, duplicated keys, extra images."""
    doc = copy.deepcopy(base()[1])
    kind = rng.randrange(9)
    if kind == 0:
        doc["schema"] = rng.choice([2, 99, 10**30, 0, -1, "1", 1.0])
    elif kind == 1:
        doc["keyframes"].reverse()
    elif kind == 2:
        doc["cells"].append({"frame": rng.choice([0, 3, 6, 10**6, 10**7]), "image": doc["keyframes"][0]["image"]})
    elif kind == 3:
        doc["segments"].append(copy.deepcopy(doc["segments"][0]))
    elif kind == 4:
        image_id = next(iter(doc["images"]))
        doc["images"][image_id]["file"] = rng.choice(["../" + image_id + ".png", "/tmp/x.png", "project.json",
                                                     "images/missing.png", "images\\x.png"])
    elif kind == 5:
        image_id = next(iter(doc["images"]))
        doc["images"][image_id].update(width=rng.choice([0, 21, 16384, 10**9]), height=rng.choice([12, 13, -5]))
    elif kind == 6:
        doc["canvas"] = {"width": rng.choice([16384, 16385, 10**12]), "height": rng.choice([1, 12])}
    elif kind == 7:  # odd counts, and counts that would be slow to build
        count = rng.choice([1, 5, 7, 3001, 3004, 10**5])
        doc["segments"][0]["paths"][0] = {"points": [[0, 0]] * count}
        if count <= 7 and rng.random() < 0.5:  # many small paths (a few MB of JSON at most)
            doc["segments"][0]["paths"] *= rng.choice([100, 20_001, 40_000])
    else:
        doc["images"]["zz" + "9" * rng.randint(1, 80)] = {"file": "images/nope.png", "width": 20, "height": 12}
    return with_doc(doc)


def mutate_json_text(rng: random.Random) -> bytes:
    """project.json bytes cut, flipped, nested deeply or full of huge numbers."""
    text = json.dumps(base()[1]).encode()
    kind = rng.randrange(6)
    if kind == 0:
        text = text[: rng.randrange(len(text))]
    elif kind == 1:
        b = bytearray(text)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        text = bytes(b)
    elif kind == 2:
        depth = rng.choice([100, 5000, 200_000])
        text = b'{"format": "inbetweener-project", "schema": 1, "canvas": ' + b"[" * depth + b"]" * depth + b"}"
    elif kind == 3:
        text = text.replace(b'"fps": 24.0', b'"fps": ' + b"9" * rng.choice([20, 5000, 100_000]))
    elif kind == 4:
        text = rng.choice([b"", b"null", b"[]", b"\xff\xfe{}", b'"text"', b"NaN", b"{}" * 3])
    else:
        text = text.replace(b'"fps": 24.0', rng.choice([b'"fps": NaN', b'"fps": Infinity', b'"fps": -Infinity',
                                                        b'"fps": 1e999']))
    return with_doc(None, text=text)


# -- zip-level mutations ---------------------------------------------------------------------------
def mutate_bytes(rng: random.Random) -> bytes:
    """Random byte flips, truncation, junk appended or prepended to the whole file."""
    data = bytearray(base()[0])
    kind = rng.randrange(4)
    if kind == 0:
        for _ in range(rng.choice([1, 2, 5, 50])):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return bytes(data)
    if kind == 1:
        return bytes(data[: rng.randrange(len(data))])
    if kind == 2:
        return bytes(data) + rng.randbytes(rng.randint(1, 300))
    return rng.randbytes(rng.randint(0, 400)) + bytes(data)


def mutate_png_member(rng: random.Random) -> bytes:
    """A PNG inside the zip damaged but with a valid zip CRC (only the PNG itself can tell)."""
    _, doc, pngs = base()
    name = rng.choice(sorted(pngs))
    png = bytearray(pngs[name])
    kind = rng.randrange(3)
    if kind == 0:
        for _ in range(rng.randint(1, 4)):
            png[rng.randrange(8, len(png))] ^= 1 << rng.randrange(8)
    elif kind == 1:
        png = png[: rng.randrange(len(png))]
    else:
        png = bytearray(rng.choice([b"", b"\x89PNG\r\n\x1a\n", b"GIF89a" + bytes(30), b"not a png"]))
    members = [("project.json", json.dumps(doc).encode())] + [(n, bytes(png) if n == name else p)
                                                             for n, p in pngs.items()]
    return build_zip(members)


def mutate_member_names(rng: random.Random) -> bytes:
    """Zip-slip, absolute paths, drive letters, backslashes, control characters, duplicates."""
    _, doc, pngs = base()
    bad = rng.choice(["../x", "../../evil.png", "/etc/evil", "/abs/images/a.png", "images/../../x",
                      "C:\\evil", "C:/evil", "images\\a.png", "a\x00b", "images/a\nb.png", "..", "./../x",
                      "project.json", next(iter(pngs))])
    members = [("project.json", json.dumps(doc).encode()), *pngs.items()]
    members.insert(rng.randrange(len(members) + 1), (bad, b"payload"))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names we make on purpose
        return build_zip(members)


def _patch_sizes(data: bytes, member: str, size: int, compressed: int | None = None) -> bytes:
    """Rewrite a member's declared (un)compressed size in its local header and central entry."""
    b = bytearray(data)
    name = member.encode()
    pos = 0
    while True:
        pos = b.find(b"PK\x03\x04", pos)
        if pos < 0:
            break
        nlen = struct.unpack_from("<H", b, pos + 26)[0]
        if bytes(b[pos + 30:pos + 30 + nlen]) == name:
            struct.pack_into("<I", b, pos + 22, size & 0xFFFFFFFF)
            if compressed is not None:
                struct.pack_into("<I", b, pos + 18, compressed & 0xFFFFFFFF)
        pos += 4
    pos = 0
    while True:
        pos = b.find(b"PK\x01\x02", pos)
        if pos < 0:
            break
        nlen = struct.unpack_from("<H", b, pos + 28)[0]
        if bytes(b[pos + 46:pos + 46 + nlen]) == name:
            struct.pack_into("<I", b, pos + 24, size & 0xFFFFFFFF)
            if compressed is not None:
                struct.pack_into("<I", b, pos + 20, compressed & 0xFFFFFFFF)
        pos += 4
    return bytes(b)


def mutate_declared_sizes(rng: random.Random) -> bytes:
    """Members whose headers lie about their size (huge, zero, off by a little)."""
    _, doc, pngs = base()
    data = base()[0]
    member = rng.choice(["project.json", *sorted(pngs)])
    size = rng.choice([0, 1, 0xFFFFFFFF, 0xFFFFFFFE, 2**31, 64 * 1024 * 1024 + 1, 1000])
    compressed = rng.choice([None, 0, 1, 0xFFFFFFFF])
    return _patch_sizes(data, member, size, compressed)


@lru_cache(maxsize=4)
def _deflated_zeros(size: int) -> tuple[bytes, int]:
    """Raw deflate of `size` zero bytes (multiple of 1 MiB), built without inflating it: after a full
    flush the compressor's state resets, so every 1 MiB block compresses to the same bytes.

    The CRC is left at 0 (wrong): a loader that reads to the end deserves the 4 GiB it asked for.
    """
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    return block * (size >> 20) + comp.flush(), 0


def bomb_zip(member: str, true_size: int, declared_size: int, other: list[tuple[str, bytes]]) -> bytes:
    """A zip whose `member` inflates to `true_size` zeros but declares `declared_size`."""
    deflated, crc = _deflated_zeros(true_size)
    return _raw_member_zip(other, member, deflated, crc, declared_size)


def _raw_member_zip(other: list[tuple[str, bytes]], member: str, deflated: bytes, crc: int,
                    declared_size: int) -> bytes:
    out = io.BytesIO()
    central = []
    entries = [(n, zlib.compress(p)[2:-4], zlib.crc32(p), len(p)) for n, p in other]
    entries.append((member, deflated, crc, declared_size))
    for name, comp, c, size in entries:
        offset = out.tell()
        nb = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, c & 0xFFFFFFFF,
                              len(comp) & 0xFFFFFFFF, size & 0xFFFFFFFF, len(nb), 0))
        out.write(nb)
        out.write(comp)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, c & 0xFFFFFFFF,
                                   len(comp) & 0xFFFFFFFF, size & 0xFFFFFFFF, len(nb), 0, 0, 0, 0, 0,
                                   offset) + nb)
    start = out.tell()
    for entry in central:
        out.write(entry)
    end = out.tell()
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), end - start, start, 0))
    return out.getvalue()


BOMB_BYTES = 4 * 1024**3 - (1 << 20)  # inflates to ~4 GiB from ~4 MB (declared sizes are 32-bit)


def mutate_zip_bomb(rng: random.Random) -> bytes:
    """Small zips that inflate hugely: honest huge sizes, and lies that claim a small size."""
    _, doc, pngs = base()
    png_name = sorted(pngs)[0]
    others_json = [(n, p) for n, p in pngs.items()]
    others_png = [("project.json", json.dumps(doc).encode())] + [(n, p) for n, p in pngs.items() if n != png_name]
    member, other = rng.choice([("project.json", others_json), (png_name, others_png)])
    declared = rng.choice([BOMB_BYTES, 100, len(pngs[png_name]), 4000])
    return bomb_zip(member, BOMB_BYTES, declared, other)


def mutate_not_a_zip(rng: random.Random) -> bytes:
    return rng.choice([b"", b"PK", b"PK\x05\x06" + bytes(18), rng.randbytes(rng.randint(1, 2000)),
                       b"\x89PNG\r\n\x1a\n" + bytes(40), json.dumps(base()[1]).encode()])


def mutate_compression(rng: random.Random) -> bytes:
    """Valid content under other compression methods (bzip2, lzma, stored) or odd flags."""
    _, doc, pngs = base()
    members = [("project.json", json.dumps(doc).encode()), *pngs.items()]
    data = build_zip(members, rng.choice([zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]))
    if rng.random() < 0.5:  # mark members encrypted or give them an unknown method
        b = bytearray(data)
        pos = 0
        while (pos := b.find(b"PK\x01\x02", pos)) >= 0:
            if rng.random() < 0.5:
                struct.pack_into("<H", b, pos + 8, 1)  # general purpose flag: encrypted
            else:
                struct.pack_into("<H", b, pos + 10, rng.choice([1, 6, 97, 99, 0xFFFF]))
            pos += 4
        data = bytes(b)
    return data


MUTATORS: dict[str, Mutator] = {
    "json_value": mutate_json_value,
    "json_structure": mutate_json_structure,
    "json_text": mutate_json_text,
    "bytes": mutate_bytes,
    "png_member": mutate_png_member,
    "member_names": mutate_member_names,
    "declared_sizes": mutate_declared_sizes,
    "zip_bomb": mutate_zip_bomb,
    "not_a_zip": mutate_not_a_zip,
    "compression": mutate_compression,
}


@dataclass
class Outcome:
    kind: str  # "loaded", "ProjectFileError", or the unexpected exception's type name
    message: str
    seconds: float
    wrote_outside: bool = False


def load_case(data: bytes, folder: Path) -> Outcome:
    """Load `data` as a project file in `folder`; classify the result and check nothing else appeared."""
    from inbetweener.errors import ProjectFileError
    from inbetweener.io.project_file import load_project

    target = folder / "case.ibw"
    target.write_bytes(data)
    before = sorted(p.name for p in folder.parent.iterdir())
    t0 = time.perf_counter()
    try:
        project = load_project(target)
        # A file that loads must be usable: every image it holds decodes at its declared size.
        for image in project.images.values():
            image.array()
        outcome = Outcome("loaded", "", 0.0)
    except ProjectFileError as exc:
        outcome = Outcome("ProjectFileError", str(exc), 0.0)
    except Exception as exc:  # noqa: BLE001 - the harness reports anything else as a bug
        outcome = Outcome(type(exc).__name__, str(exc)[:300], 0.0)
    outcome.seconds = time.perf_counter() - t0
    after = sorted(p.name for p in folder.parent.iterdir())
    outcome.wrote_outside = before != after or sorted(p.name for p in folder.iterdir()) != ["case.ibw"]
    target.unlink()
    return outcome
