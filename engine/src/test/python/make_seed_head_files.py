#!/usr/bin/env python3
"""Writes the small hand-made seed-head checkpoints the hostile-input tests and the fuzz seeds use.

No PyTorch needed: stand-in `torch` modules make Python's pickler emit exactly the globals, persistent ids and
opcodes torch.save writes (protocol 2, `_rebuild_tensor_v2`, `('storage', FloatStorage, key, location, numel)`,
an OrderedDict with `_metadata` restored by BUILD), zipped as `<name>/data.pkl` + `<name>/data/<key>`.

    python3 make_seed_head_files.py OUT_DIR
"""
import collections
import pickle
import struct
import sys
import types
import zipfile
from pathlib import Path

torch = types.ModuleType("torch")
utils = types.ModuleType("torch._utils")
sys.modules["torch"], sys.modules["torch._utils"] = torch, utils


def _rebuild_tensor_v2(*args):
    raise RuntimeError("never called")


_rebuild_tensor_v2.__module__ = "torch._utils"
utils._rebuild_tensor_v2 = _rebuild_tensor_v2


def storage_type(name):
    cls = type(name, (), {})
    cls.__module__ = "torch"
    setattr(torch, name, cls)
    return cls


FLOAT, HALF, LONG = storage_type("FloatStorage"), storage_type("HalfStorage"), storage_type("LongStorage")
FMT = {FLOAT: ("<f", 4), HALF: ("<e", 2), LONG: ("<q", 8)}


class Storage:
    def __init__(self, key, stype, values, location="cpu"):
        self.key, self.stype, self.values, self.location = key, stype, values, location

    def raw(self):
        fmt, _ = FMT[self.stype]
        return b"".join(struct.pack(fmt, v) for v in self.values)


class Tensor:
    def __init__(self, storage, shape, stride=None, offset=0):
        if stride is None:
            stride, s = [], 1
            for d in reversed(shape):
                stride.insert(0, s)
                s *= d
        self.storage, self.shape, self.stride, self.offset = storage, tuple(shape), tuple(stride), offset

    def __reduce__(self):
        return (_rebuild_tensor_v2, (self.storage, self.offset, self.shape, self.stride, False, collections.OrderedDict()))


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", obj.stype, obj.key, obj.location, len(obj.values))
        return None


def save(path, obj, storages, name=None):
    name = name or path.stem
    import io
    buf = io.BytesIO()
    Pickler(buf, protocol=2).dump(obj)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{name}/data.pkl", buf.getvalue())
        z.writestr(f"{name}/byteorder", "little")
        for s in storages:
            z.writestr(f"{name}/data/{s.key}", s.raw())
        z.writestr(f"{name}/version", "3\n")


def seq(n, scale=0.01):
    return [((i * 37) % 101 - 50) * scale for i in range(n)]


def ddp(out):
    """A DDP state dict: module. prefix, one storage under two names, fp16 and int64 entries; the decoder's
    conv weight has the wrong input width for its classes (a wrong-shape ReCLIP++ checkpoint)."""
    w = Storage("0", FLOAT, seq(8 * 3 * 16 * 16), "cuda:0")
    h = Storage("1", HALF, seq(8 * 4), "cuda:0")
    n = Storage("2", LONG, [7])
    dec = Storage("3", FLOAT, seq(2 * 5 * 5 * 5))
    proj = Storage("4", FLOAT, seq(4 * 8))
    sd = collections.OrderedDict()
    sd["module.clip.visual.conv1.weight"] = Tensor(w, [8, 3, 16, 16])
    sd["module.vit.conv1.weight"] = Tensor(w, [8, 3, 16, 16])
    sd["module.clip.text_projection"] = Tensor(h, [4, 8], [1, 4])
    sd["module.decoder_norm2.num_batches_tracked"] = Tensor(n, [])
    sd["module.proj.weight"] = Tensor(proj, [4, 8, 1, 1], [1, 4, 1, 1])
    sd["module.decoder_conv2.weight"] = Tensor(dec, [2, 5, 5, 5])   # 4 + 2 input channels expected
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("module", {"version": 1})])
    save(out / "issue14_ddp_wrong_shape.pth", sd, [w, h, n, dec, proj])


def mmcv(out):
    """An mmcv checkpoint: meta with the config text, a state dict with _metadata, and AdamW state on cuda:0; the
    state dict is a ZegCLIP one that lacks its backbone (a missing-key checkpoint)."""
    q = Storage("0", FLOAT, seq(4 * 8))
    m = Storage("1", FLOAT, seq(4 * 8), "cuda:0")
    sd = collections.OrderedDict()
    sd["decode_head.q_proj.weight"] = Tensor(q, [4, 8])
    sd._metadata = collections.OrderedDict([("", {"version": 1})])
    meta = {"config": "test_cfg=dict(mode='slide', crop_size=(128, 128), stride=(106, 106))\nbase_class = [0, 1]\n",
            "CLASSES": ("a", "b"), "PALETTE": [[1, 2, 3], [4, 5, 6]], "iter": 7, "hook_msgs": {"last_ckpt": "x.pth"}}
    opt = {"state": {0: {"step": 3, "exp_avg": Tensor(m, [4, 8])}}, "param_groups": [{"lr": 0.1, "params": [0]}]}
    save(out / "issue14_mmcv_missing_backbone.pth", {"meta": meta, "state_dict": sd, "optimizer": opt}, [q, m])


def bare(out):
    """torch.save of one tensor: [3, 4] as the transposed view of a cuda:0 storage (ReCLIP++'s text weights)."""
    s = Storage("0", FLOAT, seq(12, 0.1), "cuda:0")
    save(out / "issue14_text_weights.pth", Tensor(s, [3, 4], [1, 3]), [s])


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    ddp(out)
    mmcv(out)
    bare(out)
