#!/usr/bin/env python3
"""Image-tower throughput of a ViT-B/32 CLIP architecture (random weights, no download), as
TorchScript (what DJL loads), on a device, by batch size and precision. Sizes the GPU TaskManager:
how many decoded, preprocessed images per second the rest of the pipeline must feed one GPU.

    python3 infra/bench/vit_b32_throughput.py --device cuda --batches 8 32 128

Needs torch and timm (timm's vit_base_patch32_clip_224 is open_clip's ViT-B-32 image tower
shape: 224 px, patch 32, width 768, 12 layers); weights are random, which does not change the
arithmetic. Prints images/s as the median of 5 timed rounds of 20 batches after warm-up.
"""
import argparse
import statistics
import time

import timm
import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda")
    p.add_argument("--batches", type=int, nargs="+", default=[8, 32, 128])
    a = p.parse_args()
    dev = torch.device(a.device)
    model = timm.create_model("vit_base_patch32_clip_224", pretrained=False, num_classes=512).eval()
    print(f"torch {torch.__version__}, device {torch.cuda.get_device_name() if dev.type == 'cuda' else 'cpu'}, "
          f"params {sum(p.numel() for p in model.parameters()) / 1e6:.1f} M")
    for dtype in (torch.float32, torch.float16):
        if dev.type == "cpu" and dtype == torch.float16:
            continue
        m = model.to(dev, dtype)
        with torch.inference_mode():
            traced = torch.jit.trace(m, torch.randn(1, 3, 224, 224, device=dev, dtype=dtype))
            for b in a.batches:
                x = torch.randn(b, 3, 224, 224, device=dev, dtype=dtype)
                for _ in range(5):
                    traced(x)
                rates = []
                for _ in range(5):
                    if dev.type == "cuda":
                        torch.cuda.synchronize()
                    t0 = time.perf_counter()
                    for _ in range(20):
                        traced(x)
                    if dev.type == "cuda":
                        torch.cuda.synchronize()
                    rates.append(20 * b / (time.perf_counter() - t0))
                print(f"  {str(dtype).replace('torch.', ''):8s} batch {b:4d}: {statistics.median(rates):9,.0f} images/s "
                      f"(rounds {min(rates):,.0f}-{max(rates):,.0f})")


if __name__ == "__main__":
    main()
