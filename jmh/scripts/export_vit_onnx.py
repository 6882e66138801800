"""Exports a random-weight ViT-B/16 image encoder (OpenAI CLIP shapes, QuickGELU) to ONNX at 224 and 336 px,
for jmh's OnnxRuntimeBenchmark. Needs torch, transformers and onnx (e.g. a venv: pip install torch transformers onnx).

    python jmh/scripts/export_vit_onnx.py [OUT_DIR]     (default /tmp/onnx)

Each size gets its own file because the positional embedding has one row per patch of that size; the FLOPs are
those of the engine at the same size (the engine interpolates the 224 table, which costs nothing measurable).
"""
import os
import sys

import torch
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

out_dir = sys.argv[1] if len(sys.argv) > 1 else "/tmp/onnx"
os.makedirs(out_dir, exist_ok=True)
torch.manual_seed(0)
for size in (224, 336):
    cfg = CLIPVisionConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                           image_size=size, patch_size=16, projection_dim=512, hidden_act="quick_gelu")
    model = CLIPVisionModelWithProjection(cfg).eval()
    x = torch.randn(1, 3, size, size)
    out = os.path.join(out_dir, f"vit_b16_{size}.onnx")
    with torch.no_grad():
        torch.onnx.export(model, (x,), out, input_names=["pixel_values"], output_names=["image_embeds"],
                          opset_version=17, dynamo=False)
    print("wrote", out)
