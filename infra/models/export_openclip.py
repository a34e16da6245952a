#!/usr/bin/env python3
"""Export an open_clip CLIP model to Memescope's model-directory format.

A model directory holds:

    image_encoder.pt   TorchScript (torch.jit.trace): float32 [N,3,H,W], already normalised
                       -> float32 [N,D], encode_image output, NOT L2-normalised
    text_encoder.pt    TorchScript (torch.jit.trace): int64 [N,context_length] token ids
                       -> float32 [N,D], encode_text output, NOT L2-normalised
    tokenizer.json     Hugging Face tokenizer file of the CLIP BPE vocabulary (49408 ids)
    metadata.json      name, embedding dim, preprocessing and tokenisation parameters

Real model (needs network access to download the weights):

    python infra/models/export_openclip.py --model ViT-B-32 --pretrained laion2b_s34b_b79k \
        --out models/vit-b-32 --golden models/vit-b-32/golden

Tiny random-weight fixture for tests (no network):

    python infra/models/export_openclip.py --tiny --seed 0 --out models/tiny --golden models/tiny/golden

See infra/models/README.md for the exact preprocessing and tokenisation rules.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import open_clip
from open_clip import tokenizer as oc_tokenizer
from PIL import Image, ImageDraw, ImageFont, ImageOps
import PIL

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TOKENIZER_JSON = Path(__file__).resolve().parent / "clip-bpe" / "tokenizer.json"

TINY_MODEL_NAME = "memescope-tiny-ViT-B-32"
# Same architecture family as open_clip's ViT-B-32 (ViT, patch 32, image 224; CLIP text transformer,
# context 77, vocab 49408, argmax/EOT pooling), tiny widths. The text width is 16 because the token
# embedding alone is 49408 x width float32 values (width 64 would be 12.6 MB).
TINY_CFG = {
    "embed_dim": 64,
    "vision_cfg": {
        "image_size": 224,
        "layers": 2,
        "width": 64,
        "head_width": 32,  # 2 heads
        "patch_size": 32,
    },
    "text_cfg": {
        "context_length": 77,
        "vocab_size": 49408,
        "width": 16,
        "heads": 2,
        "layers": 2,
    },
}

TRACE_BATCH = 2
CHECK_BATCHES = (1, 2, 5)
MAX_ABS_DIFF = 1e-5


# ---------------------------------------------------------------------------------------------
# model loading


def load_real(name: str, pretrained: str):
    # "random": the full architecture with random weights, for benchmarks where no weights can be
    # downloaded; its metadata says tiny=true (not semantic).
    model, _, preprocess = open_clip.create_model_and_transforms(
        name, pretrained=None if pretrained == RANDOM else pretrained)
    tokenizer = open_clip.get_tokenizer(name)
    return model, preprocess, tokenizer


def load_tiny(seed: int):
    with tempfile.TemporaryDirectory() as tmp:
        cfg_file = Path(tmp) / f"{TINY_MODEL_NAME}.json"
        cfg_file.write_text(json.dumps(TINY_CFG))
        open_clip.add_model_config(cfg_file)
        torch.manual_seed(seed)
        model, _, preprocess = open_clip.create_model_and_transforms(TINY_MODEL_NAME, pretrained=None)
        tokenizer = open_clip.get_tokenizer(TINY_MODEL_NAME)
    # With open_clip's default init the random positional/class embeddings (std width**-0.5) dwarf the
    # patch embeddings (conv1 default init, std ~0.01), so all images land close together (pairwise
    # cosine up to ~0.98). Shrinking them 100x (still non-zero, so patch order matters) spreads the
    # golden image vectors (max pairwise cosine ~0.93) and makes the fixture sensitive to
    # preprocessing bugs (transposed/shifted/BGR input), while +-1/255 pixel noise stays at cos > 0.9999.
    with torch.no_grad():
        model.visual.class_embedding.mul_(0.01)
        model.visual.positional_embedding.mul_(0.01)
    return model, preprocess, tokenizer


# ---------------------------------------------------------------------------------------------
# TorchScript export


class ImageEncoder(torch.nn.Module):
    """[N,3,H,W] float32 (normalised) -> [N,D] float32 (encode_image, not normalised)."""

    def __init__(self, model):
        super().__init__()
        self.visual = model.visual

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.visual(pixels)


class TextEncoder(torch.nn.Module):
    """[N,L] int64 token ids -> [N,D] float32 (encode_text, not normalised).

    Holds only the text tower of the CLIP model and runs open_clip's own encode_text on it, so
    the traced graph does not carry the vision weights.
    """

    def __init__(self, model):
        super().__init__()
        self.custom = hasattr(model, "text")  # CustomTextCLIP (HF/timm text towers)
        if self.custom:
            self.text = model.text
        else:
            self.transformer = model.transformer
            self.token_embedding = model.token_embedding
            self.positional_embedding = model.positional_embedding
            self.ln_final = model.ln_final
            self.text_projection = model.text_projection
            self.register_buffer("attn_mask", model.attn_mask, persistent=False)
            self.text_pool_type = model.text_pool_type
            if hasattr(model, "text_eos_id"):
                self.text_eos_id = model.text_eos_id

    def forward(self, text: torch.Tensor) -> torch.Tensor:
        if self.custom:
            return self.text(text)
        if self.text_pool_type != "argmax":
            return open_clip.model.CLIP.encode_text(self, text)
        # open_clip.model.CLIP.encode_text, line for line, except the argmax pooling: open_clip
        # indexes with torch.arange(N, device=x.device), which tracing freezes to a "cpu" device
        # constant; gather picks the same rows (bit-identical) without a device constant.
        cast_dtype = self.transformer.get_cast_dtype()
        x = self.token_embedding(text).to(cast_dtype)
        x = x + self.positional_embedding.to(cast_dtype)
        x = self.transformer(x, attn_mask=self.attn_mask)
        x = self.ln_final(x)
        idx = text.argmax(dim=-1)  # first position of the largest id = the EOT token (49407)
        x = torch.gather(x, 1, idx.view(-1, 1, 1).expand(-1, 1, x.shape[-1])).squeeze(1)
        if self.text_projection is not None:
            if isinstance(self.text_projection, torch.nn.Linear):
                x = self.text_projection(x)
            else:
                x = x @ self.text_projection
        return x


def text_pooling(model) -> str:
    if hasattr(model, "text"):
        return getattr(model.text, "pool_type", "unknown")
    return model.text_pool_type


def export_torchscript(model, out: Path, image_size: int, context_length: int, vocab_size: int, seed: int):
    g = torch.Generator().manual_seed(seed + 1000)
    img_enc = ImageEncoder(model).eval()
    txt_enc = TextEncoder(model).eval()

    def sample_images(n):
        return torch.randn(n, 3, image_size, image_size, generator=g)

    def sample_tokens(n):
        # realistic token rows: SOT, random ids, EOT at varying positions, zero padding
        rows = torch.zeros(n, context_length, dtype=torch.long)
        for i in range(n):
            length = int(torch.randint(0, context_length - 1, (1,), generator=g))
            length = min(length, context_length - 2)
            rows[i, 0] = 49406
            if length:
                rows[i, 1:1 + length] = torch.randint(1, 49406, (length,), generator=g)
            rows[i, 1 + length] = 49407
        return rows

    with torch.no_grad():
        traced_img = torch.jit.trace(img_enc, sample_images(TRACE_BATCH), check_trace=False)
        traced_txt = torch.jit.trace(txt_enc, sample_tokens(TRACE_BATCH), check_trace=False)
    img_path, txt_path = out / "image_encoder.pt", out / "text_encoder.pt"
    torch.jit.save(traced_img, str(img_path))
    torch.jit.save(traced_txt, str(txt_path))

    # Re-load what was written and compare with eager open_clip for several batch sizes.
    loaded_img = torch.jit.load(str(img_path)).eval()
    loaded_txt = torch.jit.load(str(txt_path)).eval()
    with torch.no_grad():
        for n in CHECK_BATCHES:
            x = sample_images(n)
            t = sample_tokens(n)
            check_close(f"image_encoder.pt batch {n}", loaded_img(x), model.encode_image(x))
            check_close(f"text_encoder.pt batch {n}", loaded_txt(t), model.encode_text(t))
    return loaded_img, loaded_txt


def check_close(what, got, want):
    if got.shape != want.shape:
        raise SystemExit(f"{what}: shape {tuple(got.shape)} != eager {tuple(want.shape)}")
    diff = (got - want).abs().max().item()
    if not diff < MAX_ABS_DIFF:
        raise SystemExit(f"{what}: max abs diff to eager {diff} >= {MAX_ABS_DIFF}")
    print(f"  ok {what}: shape {tuple(got.shape)}, max abs diff to eager {diff:.2e}")


# ---------------------------------------------------------------------------------------------
# metadata


RANDOM = "random"


def write_metadata(out: Path, model, name: str, pretrained: str, tiny: bool, seed: int, tokenizer):
    pp = dict(model.visual.preprocess_cfg)
    size = pp["size"]
    if isinstance(size, (list, tuple)):
        if size[0] != size[1]:
            raise SystemExit(f"non-square image size {size} is not supported by this exporter")
        size = size[0]
    if pp.get("resize_mode", "shortest") != "shortest":
        raise SystemExit(f"resize_mode {pp.get('resize_mode')} is not supported by this exporter")
    if getattr(tokenizer, "reduction_fn", None) is not None or not isinstance(tokenizer, oc_tokenizer.SimpleTokenizer):
        raise SystemExit(f"tokenizer {type(tokenizer).__name__} is not open_clip's plain SimpleTokenizer")
    embedding_dim = int(model.text_projection.shape[-1]) if not hasattr(model, "text") else int(
        model.encode_text(torch.zeros(1, tokenizer.context_length, dtype=torch.long)).shape[-1])
    if tiny:
        source = (f"open_clip {TINY_MODEL_NAME} (ViT-B-32 architecture family, tiny widths), random weights, "
                  f"generated by infra/models/export_openclip.py --tiny --seed {seed}")
        license_ = "MIT (random weights generated by Memescope; tokenizer.json: CLIP BPE vocabulary, MIT, OpenAI)"
    else:
        source = (f"open_clip {name} pretrained={pretrained}, exported by "
                  f"infra/models/export_openclip.py --model {name} --pretrained {pretrained}")
        license_ = "see the open_clip pretrained model card of this tag (OpenCLIP code: MIT); tokenizer.json: MIT"
    meta = {
        "name": TINY_MODEL_NAME if tiny else f"{name}/{pretrained}",
        "pretrained": "random-tiny" if tiny else pretrained,
        "embedding_dim": embedding_dim,
        "image_size": int(size),
        "resize_mode": "shortest",
        "crop_mode": "center",
        "interpolation": pp.get("interpolation", "bicubic"),
        "mean": [float(v) for v in pp["mean"]],
        "std": [float(v) for v in pp["std"]],
        "context_length": int(tokenizer.context_length),
        "sot_token_id": int(tokenizer.sot_token_id),
        "eot_token_id": int(tokenizer.eot_token_id),
        "pad_token_id": 0,
        "text_pooling": text_pooling(model),
        "lowercase": True,
        "image_encoder": "image_encoder.pt",
        "text_encoder": "text_encoder.pt",
        "tokenizer": "tokenizer.json",
        "source": source,
        "license": license_,
        "torch_version": torch.__version__,
        "open_clip_version": open_clip.__version__,
        "tiny": tiny or pretrained == RANDOM,
    }
    if meta["text_pooling"] != "argmax":
        print(f"WARNING: text pooling is {meta['text_pooling']!r}, not argmax", file=sys.stderr)
    (out / "metadata.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return meta


# ---------------------------------------------------------------------------------------------
# golden sample images


def _font(size: int):
    # Pillow's bundled font (needs FreeType); the same on every machine with the same Pillow.
    return ImageFont.load_default(size=size)


def meme(width, height, top, bottom, colours, seed):
    """A gradient background with shapes and white impact-style captions with a black outline."""
    rng = np.random.default_rng(seed)
    (r0, g0, b0), (r1, g1, b1) = colours
    y = np.linspace(0.0, 1.0, height)[:, None]
    x = np.linspace(0.0, 1.0, width)[None, :]
    t = 0.7 * y + 0.3 * x
    arr = np.stack([r0 + (r1 - r0) * t, g0 + (g1 - g0) * t, b0 + (b1 - b0) * t], axis=-1)
    arr = np.clip(arr, 0, 255).astype(np.uint8)
    im = Image.fromarray(arr, "RGB")
    d = ImageDraw.Draw(im)
    for _ in range(4):
        cx, cy = int(rng.integers(0, width)), int(rng.integers(0, height))
        rad = int(rng.integers(min(width, height) // 10, min(width, height) // 3))
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            d.ellipse([cx - rad, cy - rad, cx + rad, cy + rad], fill=fill)
        else:
            d.rectangle([cx - rad, cy - rad // 2, cx + rad, cy + rad // 2], fill=fill)
    size = max(10, min(width // 9, height // 6))
    font = _font(size)
    stroke = max(1, size // 12)
    for text, anchor_y, anchor in ((top, stroke + 2, "mt"), (bottom, height - stroke - 2, "md")):
        if text:
            d.text((width // 2, anchor_y), text, font=font, fill="white", anchor=anchor,
                   stroke_width=stroke, stroke_fill="black")
    return im


def generate_images(golden: Path):
    """Writes the sample images; returns [(file, note)]."""
    items = []

    def add(file, note):
        items.append((file, note))

    im = meme(400, 260, "WHEN THE CODE", "COMPILES FIRST TRY", ((30, 60, 160), (200, 80, 40)), 1)
    im.save(golden / "landscape.jpg", quality=85, optimize=False, subsampling="4:2:0")
    add("landscape.jpg", "landscape 400x260 RGB JPEG (4:2:0, quality 85)")

    im = meme(240, 360, "ME", "ALSO ME", ((240, 200, 60), (40, 140, 90)), 2)
    im.save(golden / "portrait.png")
    add("portrait.png", "portrait 240x360 RGB PNG; full preprocessed tensor in portrait.png.pre.f32")

    im = meme(300, 300, "SEE", "THROUGH", ((120, 20, 160), (20, 200, 220)), 3).convert("RGBA")
    alpha = np.full((300, 300), 255, np.uint8)
    yy, xx = np.mgrid[0:300, 0:300]
    alpha[:, :100] = (xx[:, :100] * 255 // 100).astype(np.uint8)  # left third: alpha ramp 0..252
    alpha[200:, 200:] = 0  # bottom-right square: fully transparent (RGB kept non-black)
    alpha[120:180, 120:180] = 128  # centre square: half transparent
    im.putalpha(Image.fromarray(alpha, "L"))
    im.save(golden / "transparent.png")
    add("transparent.png", "300x300 RGBA PNG with an alpha ramp, a half-transparent and a fully "
                           "transparent region whose stored RGB is not black")

    frames = []
    for i, (top, cols) in enumerate((("FRAME ONE", ((250, 90, 90), (90, 90, 250))),
                                     ("FRAME TWO", ((20, 20, 20), (240, 240, 240))))):
        fr = meme(320, 240, top, "GIF", cols, 10 + i)
        frames.append(fr.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE))
    frames[0].save(golden / "animated.gif", save_all=True, append_images=frames[1:], duration=500, loop=0)
    add("animated.gif", "320x240 animated palette GIF, 2 frames; the vector is of the first frame")

    im = meme(352, 288, "WEBP", "MEME", ((10, 120, 60), (230, 230, 120)), 4)
    im.save(golden / "meme.webp", quality=80, method=4)
    add("meme.webp", "352x288 lossy WebP (RGB)")

    im = meme(180, 132, "BITMAP", "MEME", ((200, 40, 120), (250, 250, 250)), 5)
    im.save(golden / "meme.bmp")
    add("meme.bmp", "180x132 24-bit BMP (bottom-up rows)")

    im = meme(40, 30, "", "", ((255, 120, 0), (0, 80, 255)), 6)
    im.save(golden / "tiny.png")
    add("tiny.png", "40x30 RGB PNG, upscaled to 298x224; full preprocessed tensor in tiny.png.pre.f32")

    upright = meme(320, 240, "ROTATED", "EXIF 6", ((60, 60, 60), (220, 180, 40)), 7)
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # stored 240x320; orientation 6 turns it upright
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(golden / "exif_rotated.jpg", quality=85, exif=exif)
    add("exif_rotated.jpg", "JPEG stored 240x320 with EXIF Orientation=6; displayed (and encoded) as 320x240 "
                            "after ImageOps.exif_transpose")

    im = meme(256, 320, "GREY", "SCALE", ((0, 0, 0), (255, 255, 255)), 8).convert("L")
    im.save(golden / "grey.png")
    add("grey.png", "256x320 greyscale (mode L) PNG")

    try:
        from skimage import data as skdata
        photo = Image.fromarray(skdata.chelsea(), "RGB")  # 451x300
        photo = photo.resize((320, round(320 * photo.height / photo.width)), Image.Resampling.LANCZOS)
        photo.save(golden / "photo_chelsea.jpg", quality=85)
        add("photo_chelsea.jpg", "real photo: scikit-image data.chelsea() ('Chelsea the cat', CC0 by "
                                 "Stefan van der Walt), downscaled to 320x213, JPEG quality 85")
    except ImportError:
        print("scikit-image not installed; skipping the real photo sample", file=sys.stderr)
    return items


def load_image(path: Path) -> Image.Image:
    """Memescope's loader: first frame, EXIF orientation applied, original mode kept."""
    with Image.open(path) as im:
        im.seek(0)
        im.load()
        return ImageOps.exif_transpose(im)  # returns a copy (frame 0 only)


# ---------------------------------------------------------------------------------------------
# golden texts

LONG_TEXT = " ".join(
    f"word{i} meme{i % 7}" if i % 3 else "the quick brown fox jumps over the lazy dog" for i in range(100)
)

GOLDEN_TEXTS = [
    ("a photo of a cat", "plain"),
    ("a circuit diagram", "plain"),
    ("A Photo Of A CAT", "mixed case: lowercased"),
    ("Wait... WHAT?!", "punctuation runs are one pre-token each"),
    ("don't you've I'm we'll they'd it's", "contractions are split off ('t 've 'm 'll 'd 's)"),
    ("don\u2019t stop", "curly apostrophe: ftfy turns it into ' before splitting"),
    ("123 4567 3.14 1,000,000 2024", "numbers: every digit is its own pre-token"),
    ("caf\u00e9 na\u00efve r\u00e9sum\u00e9", "accents (NFC)"),
    ("cafe\u0301", "decomposed accent (e + U+0301): NFC by ftfy gives caf\u00e9"),
    ("\u65e5\u672c\u8a9e\u306e\u30df\u30fc\u30e0", "CJK: byte-level BPE"),
    ("\U0001F602\U0001F525 mood", "emoji: byte-level BPE"),
    ("Tom &amp; Jerry", "HTML entity unescaped"),
    ("fish &amp;amp; chips &lt;3", "double-escaped entity: html.unescape is applied twice"),
    ("multiple   spaces\nnew\nlines\tand\ttabs", "whitespace collapsed"),
    ("   leading and trailing whitespace \t\n ", "stripped"),
    ("", "empty: [SOT, EOT, 0...]"),
    (LONG_TEXT, "long (>77 tokens): truncated to 77 with EOT forced into the last slot"),
    ("?!.,;:-_()[]{}...!!!", "only punctuation"),
    ("https://example.com/memes?id=42&sort=top#hot", "URL"),
    ("caf\u00c3\u00a9", "mojibake: ftfy repairs it to caf\u00e9"),
    ("l\u2019amour \u201cquoted\u201d \ufeffbom", "curly quotes straightened, BOM removed (ftfy)"),
    ("a\x1cb x\x00y\x07z", "control characters removed by ftfy (\\x1c is NOT whitespace here)"),
    ("hello <|endoftext|> world", "HF special-token text is plain text for open_clip (no special match)"),
    ("hello <end_of_text> world", "open_clip quirk: its own special-token text becomes id 49407 mid-sequence, "
                                  "and argmax pooling then pools there"),
    ("\uff2d\uff25\uff2d\uff25 \ufb01ne", "fullwidth letters and the fi ligature: ftfy maps them to ASCII"),
]


# ---------------------------------------------------------------------------------------------
# golden writer


def f32_list(vec: np.ndarray):
    # shortest decimal that round-trips to the same float32
    return [float(np.format_float_positional(v, unique=True, trim="-")) for v in vec.astype(np.float32)]


def l2n(x: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.normalize(x, dim=-1)


def write_golden(golden: Path, model, preprocess, tokenizer, traced_img, traced_txt, meta):
    golden.mkdir(parents=True, exist_ok=True)
    items = generate_images(golden)

    images, tensors = [], []
    for file, note in items:
        im = load_image(golden / file)
        pre = preprocess(im)
        assert pre.dtype == torch.float32 and tuple(pre.shape) == (3, meta["image_size"], meta["image_size"])
        raw = pre.contiguous().numpy().astype("<f4").tobytes()
        if file in ("portrait.png", "tiny.png"):
            (golden / f"{file}.pre.f32").write_bytes(raw)
        with Image.open(golden / file) as orig:
            stored = {"format": orig.format, "mode": orig.mode, "size": list(orig.size),
                      "frames": getattr(orig, "n_frames", 1)}
        images.append({
            "file": file,
            "note": note,
            "stored": stored,
            "decoded_mode": im.mode,
            "oriented_size": list(im.size),
            "preprocessed_sha256": hashlib.sha256(raw).hexdigest(),
        })
        tensors.append(pre)

    batch = torch.stack(tensors)
    with torch.no_grad():
        eager = model.encode_image(batch)
        traced = traced_img(batch)
    check_close("image_encoder.pt on the golden images", traced, eager)
    vecs = l2n(eager).numpy()
    for entry, v in zip(images, vecs):
        entry["vector"] = f32_list(v)

    texts = []
    tokens = tokenizer([t for t, _ in GOLDEN_TEXTS])
    with torch.no_grad():
        eager_t = model.encode_text(tokens)
        traced_t = traced_txt(tokens)
    check_close("text_encoder.pt on the golden texts", traced_t, eager_t)
    tvecs = l2n(eager_t).numpy()
    for (text, note), ids, v in zip(GOLDEN_TEXTS, tokens.tolist(), tvecs):
        n_bpe = len(tokenizer.encode(text))
        texts.append({
            "text": text,
            "note": note,
            "cleaned": tokenizer.clean_fn(text),
            "untruncated_length": n_bpe + 2,
            "token_ids": ids,
            "vector": f32_list(v),
        })

    report_distinctness("image", vecs)
    report_distinctness("text", tvecs)

    doc = {
        "model": meta["name"],
        "pretrained": meta["pretrained"],
        "embedding_dim": meta["embedding_dim"],
        "vectors": "L2-normalised float32 outputs of the encoders (eager open_clip)",
        "image_pipeline": "PIL.Image.open -> frame 0 -> PIL.ImageOps.exif_transpose (EXIF orientation honoured) "
                          "-> open_clip preprocess (Resize shortest side bicubic, CenterCrop, convert('RGB'), "
                          "ToTensor, Normalize); see infra/models/README.md",
        "preprocessed_sha256": "sha256 of the preprocessed [3,H,W] float32 tensor, little-endian, CHW order",
        "pre_f32_files": "<file>.pre.f32 = that same raw tensor (3*H*W float32 little-endian, CHW)",
        "token_ids": "open_clip SimpleTokenizer (open_clip.get_tokenizer) output, the reference",
        "tiny": meta["tiny"],
        "pillow_version": PIL.__version__,
        "torch_version": torch.__version__,
        "open_clip_version": open_clip.__version__,
        "images": images,
        "texts": texts,
    }
    (golden / "golden.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def report_distinctness(what, vecs):
    sims = vecs @ vecs.T
    n = len(vecs)
    off = sims[~np.eye(n, dtype=bool)]
    print(f"  {what} vectors: pairwise cosine max {off.max():.4f}, mean {off.mean():.4f}")
    if what == "image" and off.max() >= 0.99:
        raise SystemExit(f"golden {what} vectors are not distinct (max pairwise cosine {off.max():.4f})")


# ---------------------------------------------------------------------------------------------


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Export an open_clip CLIP model (or a tiny random-weight one) to Memescope's "
                    "model-directory format: image_encoder.pt, text_encoder.pt (TorchScript), "
                    "tokenizer.json, metadata.json; optionally golden vectors.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="open_clip model name, e.g. ViT-B-32 (needs --pretrained)")
    src.add_argument("--tiny", action="store_true",
                     help="build a tiny random-weight ViT-B-32-family model (test fixture, not semantic)")
    p.add_argument("--pretrained", help="open_clip pretrained tag, e.g. laion2b_s34b_b79k (downloads weights),"
                                        " or 'random' for the architecture with random weights (benchmarks)")
    p.add_argument("--seed", type=int, default=0, help="random seed for --tiny and the trace checks (default 0)")
    p.add_argument("--out", required=True, type=Path, help="output model directory")
    p.add_argument("--golden", type=Path, help="also write golden sample images and vectors to this directory")
    p.add_argument("--tokenizer-json", type=Path, default=DEFAULT_TOKENIZER_JSON,
                   help=f"Hugging Face tokenizer.json to copy (default {DEFAULT_TOKENIZER_JSON})")
    p.add_argument("--threads", type=int, default=1,
                   help="torch intra-op threads (default 1, for reproducible floating point)")
    args = p.parse_args(argv)
    if args.model and not args.pretrained:
        p.error("--model needs --pretrained")
    if args.tiny and args.pretrained:
        p.error("--tiny takes no --pretrained")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    if args.tiny:
        print(f"building tiny random model (seed {args.seed})")
        model, preprocess, tokenizer = load_tiny(args.seed)
        name, pretrained = TINY_MODEL_NAME, "random-tiny"
    else:
        print(f"loading {args.model} pretrained={args.pretrained}")
        model, preprocess, tokenizer = load_real(args.model, args.pretrained)
        name, pretrained = args.model, args.pretrained
    model.eval()
    model.float()

    meta = write_metadata(args.out, model, name, pretrained, args.tiny, args.seed, tokenizer)
    print(f"exporting TorchScript to {args.out}")
    traced_img, traced_txt = export_torchscript(
        model, args.out, meta["image_size"], meta["context_length"], 49408, args.seed)
    shutil.copyfile(args.tokenizer_json, args.out / "tokenizer.json")
    if args.golden:
        print(f"writing golden samples to {args.golden}")
        write_golden(args.golden, model, preprocess, tokenizer, traced_img, traced_txt, meta)
    for f in sorted(args.out.rglob("*")):
        if f.is_file():
            print(f"  {f.stat().st_size:>10}  {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
