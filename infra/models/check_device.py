#!/usr/bin/env python3
"""Checks that an exported model directory runs on a given torch device and matches its goldens.

The Java embedder (DJL, PyTorch engine) loads the same TorchScript files onto a GPU when the
TaskManager has one. A trace can bake the device it was traced on into the graph (a tensor made
inside forward with device='cpu'), which then fails or silently copies on CUDA. This script loads
each encoder with map_location=<device>, feeds it the golden inputs that need no image decoding
(the preprocessed *.pre.f32 tensors and the reference token ids from golden.json), in batches of
1, 2 and 8, and compares the outputs with the golden vectors (cosine) and with the CPU run.

    python3 infra/models/check_device.py models/tiny models/tiny-siglip --device cuda

Exit status 0 when every output matches (cosine >= --min-cosine against the golden vector), 1 when
any does not, 2 when the device is missing. Needs torch and numpy only; no network.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch


def load(path, device):
    m = torch.jit.load(path, map_location=device)
    m.eval()
    return m


def cosine(a, b):
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def run(model, batch, device):
    with torch.inference_mode():
        out = model(batch.to(device))
    if isinstance(out, (tuple, list)):
        out = out[0]
    out = out.float()
    out = out / out.norm(dim=-1, keepdim=True)
    return out.cpu().numpy()


def device_constants(model):
    """Device literals left in the TorchScript graph (e.g. 'cpu' from a trace)."""
    text = str(model.inlined_graph) if hasattr(model, "inlined_graph") else str(model.graph)
    return sorted({d for d in ("cpu", "cuda") if f'value="{d}' in text})


def check_dir(model_dir, device, min_cos, failures):
    meta = json.load(open(os.path.join(model_dir, "metadata.json")))
    golden = json.load(open(os.path.join(model_dir, "golden", "golden.json")))
    size = meta["image_size"]
    img = load(os.path.join(model_dir, meta["image_encoder"]), device)
    txt = load(os.path.join(model_dir, meta["text_encoder"]), device)
    img_cpu = load(os.path.join(model_dir, meta["image_encoder"]), "cpu")
    txt_cpu = load(os.path.join(model_dir, meta["text_encoder"]), "cpu")
    print(f"== {model_dir} ({meta['name']}, dim {meta['embedding_dim']}) on {device}")
    for name, m in (("image", img), ("text", txt)):
        consts = device_constants(m)
        print(f"  {name} encoder: device literals in graph: {consts or 'none'}")

    def compare(kind, label, x, want, model, model_cpu):
        for b in (1, 2, 8):
            batch = x.repeat(b, *([1] * (x.dim() - 1)))
            try:
                got = run(model, batch, device)
            except Exception as e:  # a baked-in device shows up here
                failures.append(f"{model_dir} {kind} {label} batch {b}: {type(e).__name__}: {e}")
                print(f"  FAIL {kind} {label} batch {b}: {type(e).__name__}: {str(e)[:300]}")
                return
            ref = run(model_cpu, batch, "cpu")
            c_gold = min(cosine(g, want) for g in got)
            c_cpu = min(cosine(g, r) for g, r in zip(got, ref))
            spread = float(np.abs(got - got[0]).max())
            ok = c_gold >= min_cos
            print(
                f"  {'ok  ' if ok else 'FAIL'} {kind} {label:28s} batch {b}: cos(golden) {c_gold:.6f}"
                f"  cos(cpu) {c_cpu:.6f}  max |row - row0| {spread:.2e}"
            )
            if not ok:
                failures.append(f"{model_dir} {kind} {label} batch {b}: cosine {c_gold:.6f}")

    for entry in golden["images"]:
        pre = os.path.join(model_dir, "golden", entry["file"] + ".pre.f32")
        if not os.path.exists(pre):
            continue
        x = torch.from_numpy(np.fromfile(pre, dtype="<f4").reshape(1, 3, size, size).copy())
        compare("image", entry["file"], x, entry["vector"], img, img_cpu)
    for entry in golden["texts"]:
        x = torch.tensor([entry["token_ids"]], dtype=torch.long)
        compare("text", repr(entry["text"][:24]), x, entry["vector"], txt, txt_cpu)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model_dirs", nargs="+")
    p.add_argument("--device", default="cuda")
    p.add_argument("--min-cosine", type=float, default=0.9999)
    a = p.parse_args()
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        print("no CUDA device visible to torch", file=sys.stderr)
        return 2
    print(f"torch {torch.__version__}, cuda {torch.version.cuda}, "
          f"device {torch.cuda.get_device_name() if a.device.startswith('cuda') else 'cpu'}, "
          f"threads {torch.get_num_threads()}")
    failures = []
    for d in a.model_dirs:
        check_dir(d, a.device, a.min_cosine, failures)
    print(f"\n{len(failures)} failure(s)")
    for f in failures:
        print("  " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
