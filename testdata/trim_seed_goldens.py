#!/usr/bin/env python3
"""Trims the seed-head goldens to the keys the in-repository tests read (testdata/README.md).

Run from testdata/ with the full fixtures folder as the argument:
    python3 trim_seed_goldens.py /path/to/fixtures
It checks the originals' sha256 (SHA_ORIGINALS below) and writes fixtures/<same path> with only the kept tensors, byte-identical values and the same metadata.
Left out: the decoded and normalised input images and the final probabilities of ReCLIP++ (the resize, the
features before and after them and the label maps are kept), ZegCLIP's normalised pixels, TagCLIP's two
window-averaged maps (its windows, trusty maps and label maps are kept). Tests that read a left-out key run only
against the full fixtures (-Dclip.shared=...).
"""
import hashlib
import json
import struct
import sys
from pathlib import Path

SHA_ORIGINALS = {
    "reclip-tiny/golden.safetensors": "7b232ea4004bc2e4f530e002c87f0c23c68ee6b8eda2d79830ec7829db47de9d",
    "zegclip-tiny/zegclip/golden.safetensors": "22d76af9b767c3872c34964ee90c447009e3047b10d16aa21e303acae3df4fba",
    "zegclip-tiny/tagclip/golden.safetensors": "cf1dc613946695e12657b340992cba33a9ba2e555de5a230f18e27cf079f3650",
}

DROP = {
    "reclip-tiny/golden.safetensors": lambda k: k.endswith((".bgr", ".input", ".probs")),
    "zegclip-tiny/zegclip/golden.safetensors": lambda k: k == "input.pixels",
    "zegclip-tiny/tagclip/golden.safetensors": lambda k: k == "input.pixels" or k.endswith("logits_resized"),
}


def trim(src: Path, dst: Path, drop) -> None:
    raw = src.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    meta = header.pop("__metadata__", None)
    out_header, chunks, offset = {}, [], 0
    for key, info in header.items():
        if drop(key):
            continue
        begin, end = info["data_offsets"]
        chunk = data[begin:end]
        out_header[key] = {"dtype": info["dtype"], "shape": info["shape"], "data_offsets": [offset, offset + len(chunk)]}
        chunks.append(chunk)
        offset += len(chunk)
    if meta is not None:
        out_header = {"__metadata__": meta, **out_header}
    text = json.dumps(out_header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def main() -> None:
    root = Path(sys.argv[1])
    for rel, drop in DROP.items():
        src = root / rel
        digest = hashlib.sha256(src.read_bytes()).hexdigest()
        want = SHA_ORIGINALS[rel]
        if want is not None and digest != want:
            sys.exit(f"{src}: sha256 {digest}, expected {want}: a different original")
        trim(src, Path("fixtures") / rel, drop)
        print(rel, "from", digest)


if __name__ == "__main__":
    main()
