#!/usr/bin/env python3
"""Export an open_clip CLIP model to Memescope's model-directory format.

A model directory holds:

    image_encoder.pt   TorchScript (torch.jit.trace): float32 [N,3,H,W], already normalised
                       -> float32 [N,D], encode_image output, NOT L2-normalised
    text_encoder.pt    TorchScript (torch.jit.trace): int64 [N,context_length] token ids
                       -> float32 [N,D], encode_text output, NOT L2-normalised
    tokenizer.json     Hugging Face tokenizer file: the CLIP BPE vocabulary (49408 ids) for CLIP models,
                       the model's own fast tokenizer for open_clip HFTokenizer models (SigLIP)
    metadata.json      name, embedding dim, preprocessing and tokenisation parameters

Real model (needs network access to download the weights):

    python infra/models/export_openclip.py --model ViT-B-32 --pretrained laion2b_s34b_b79k \
        --out models/vit-b-32 --golden models/vit-b-32/golden

Tiny random-weight fixture for tests (no network):

    python infra/models/export_openclip.py --tiny --seed 0 --out models/tiny --golden models/tiny/golden

SigLIP-family models (open_clip HFTokenizer, clean='canonicalize', pool_type='last', squash resize):

    python infra/models/export_openclip.py --model ViT-B-16-SigLIP --pretrained webli \
        --out models/vit-b-16-siglip --golden models/vit-b-16-siglip/golden
    python infra/models/export_openclip.py --tiny-siglip --seed 0 --out models/tiny-siglip \
        --golden models/tiny-siglip/golden

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

TINY_SIGLIP_MODEL_NAME = "memescope-tiny-SigLIP"
TINY_SIGLIP_CONTEXT = 64
TINY_SIGLIP_VOCAB = 1000
# The SigLIP family as open_clip builds it for ViT-B-16-SigLIP (CustomTextCLIP; text tower: no causal
# mask, projection with bias, features of the LAST position, LayerNorm eps 1e-6; context 64;
# logit bias), with tiny widths. The vision tower is open_clip's own VisionTransformer (patch 32), not
# timm's SigLIP ViT: the Java side only runs the traced file, the vision architecture does not matter
# for parity. Widths 32 keep the fixture small (~0.5 MB + 0.25 MB of TorchScript); patch 32 with the
# class/positional embeddings scaled down (as for --tiny) keeps the image vectors sensitive to
# preprocessing bugs. vocab_size is the tiny tokenizer's. Preprocessing (mean/std 0.5, squash, bicubic)
# is passed to create_model_and_transforms, as open_clip's "webli" pretrained cfgs set it.
TINY_SIGLIP_CFG = {
    "embed_dim": 64,
    "init_logit_bias": -10,
    "custom_text": True,
    "vision_cfg": {
        "image_size": 224,
        "layers": 2,
        "width": 32,
        "head_width": 16,  # 2 heads
        "patch_size": 32,
    },
    "text_cfg": {
        "context_length": TINY_SIGLIP_CONTEXT,
        "vocab_size": TINY_SIGLIP_VOCAB,
        "width": 32,
        "heads": 2,
        "layers": 2,
        "no_causal_mask": True,
        "proj_bias": True,
        "pool_type": "last",
        "norm_kwargs": {"eps": 1e-6},
    },
}
SIGLIP_MEAN = (0.5, 0.5, 0.5)
SIGLIP_STD = (0.5, 0.5, 0.5)

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


def load_tiny_siglip(seed: int):
    """Tiny random SigLIP-family model + open_clip HFTokenizer over a tiny offline Unigram tokenizer."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import tiny_unigram
    from open_clip.transform import image_transform

    tok = tiny_unigram.build_tokenizer(TINY_SIGLIP_VOCAB)
    if tok.get_vocab_size() != TINY_SIGLIP_VOCAB:
        raise SystemExit(f"tiny tokenizer has {tok.get_vocab_size()} ids, expected {TINY_SIGLIP_VOCAB}")
    with tempfile.TemporaryDirectory() as tmp:
        tok_dir = Path(tmp) / "tokenizer"
        # pad with </s> (id 1), as ViT-B-16-SigLIP does (big_vision pad_value=1; open_clip's
        # SigLipTokenizer sets pad_token_id = 1 for the T5 vocabularies). The fixture therefore pads with
        # a non-zero id, unlike CLIP, so a hard-coded 0 shows up as a parity failure.
        tiny_unigram.save_pretrained_fast(tok, tok_dir, TINY_SIGLIP_CONTEXT, pad_token=tiny_unigram.EOS)
        tokenizer = oc_tokenizer.HFTokenizer(str(tok_dir), context_length=TINY_SIGLIP_CONTEXT,
                                             clean="canonicalize")
        cfg_file = Path(tmp) / f"{TINY_SIGLIP_MODEL_NAME}.json"
        cfg_file.write_text(json.dumps(TINY_SIGLIP_CFG))
        open_clip.add_model_config(cfg_file)
        torch.manual_seed(seed)
        model, _, preprocess = open_clip.create_model_and_transforms(
            TINY_SIGLIP_MODEL_NAME, pretrained=None, image_mean=SIGLIP_MEAN, image_std=SIGLIP_STD,
            image_interpolation="bicubic", image_resize_mode="squash")
    want = image_transform(224, is_train=False, mean=SIGLIP_MEAN, std=SIGLIP_STD, resize_mode="squash",
                           interpolation="bicubic")
    if repr(preprocess) != repr(want):
        raise SystemExit(f"unexpected preprocess:\n{preprocess}\nwanted:\n{want}")
    # as for --tiny: spread the image vectors (see load_tiny)
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


def text_vocab_size(model) -> int:
    text = model.text if hasattr(model, "text") else model
    if hasattr(text, "vocab_size"):
        return int(text.vocab_size)
    return int(text.token_embedding.num_embeddings)


def text_pooling(model) -> str:
    if hasattr(model, "text"):
        return getattr(model.text, "pool_type", "unknown")
    return model.text_pool_type


def export_torchscript(model, out: Path, image_size: int, context_length: int, spec: dict, seed: int):
    g = torch.Generator().manual_seed(seed + 1000)
    img_enc = ImageEncoder(model).eval()
    txt_enc = TextEncoder(model).eval()

    def sample_images(n):
        return torch.randn(n, 3, image_size, image_size, generator=g)

    def sample_tokens(n):
        if spec["mode"] == "hf":
            return sample_tokens_hf(n)
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

    def sample_tokens_hf(n):
        # [BOS] ordinary ids [EOS], padded with pad_token_id; lengths vary, one row is full (truncated)
        specials = [spec[k] for k in ("sot_token_id", "eot_token_id", "pad_token_id") if spec[k] >= 0]
        lo = max(specials) + 1 if max(specials) + 1 < spec["vocab_size"] else 0
        rows = torch.full((n, context_length), spec["pad_token_id"], dtype=torch.long)
        for i in range(n):
            prefix = [spec["sot_token_id"]] if spec["sot_token_id"] >= 0 else []
            suffix = [spec["eot_token_id"]] if spec["eot_token_id"] >= 0 else []
            room = context_length - len(prefix) - len(suffix)
            length = room if i == n - 1 else int(torch.randint(0, room + 1, (1,), generator=g))
            body = torch.randint(lo, spec["vocab_size"], (length,), generator=g).tolist()
            row = prefix + body + suffix
            rows[i, :len(row)] = torch.tensor(row, dtype=torch.long)
        return rows

    with torch.no_grad():
        traced_img = torch.jit.trace(img_enc, sample_images(TRACE_BATCH), check_trace=False)
        traced_txt = torch.jit.trace(txt_enc, sample_tokens(TRACE_BATCH), check_trace=False)
    img_path, txt_path = out / "image_encoder.pt", out / "text_encoder.pt"
    torch.jit.save(traced_img, str(img_path))
    torch.jit.save(traced_txt, str(txt_path))
    strip_debug_records(img_path)
    strip_debug_records(txt_path)

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


CLEAN_NAMES = {
    oc_tokenizer._clean_lower: "lower",
    oc_tokenizer._clean_canonicalize: "canonicalize",
    oc_tokenizer._clean_whitespace: "whitespace",
}


def tokenizer_spec(tokenizer, model) -> dict:
    """What the Java side needs to know to reproduce `tokenizer`; refuses what it cannot reproduce.

    mode "clip": open_clip's SimpleTokenizer (CLIP BPE, the exporter copies --tokenizer-json).
    mode "hf": open_clip's HFTokenizer in its standard mode; "backend" is a copy of its Hugging Face
    fast tokenizer with truncation and padding switched off (that is what tokenizer.json holds).
    """
    clean = CLEAN_NAMES.get(getattr(tokenizer, "clean_fn", None))
    if isinstance(tokenizer, oc_tokenizer.SimpleTokenizer):
        if getattr(tokenizer, "reduction_fn", None) is not None:
            raise SystemExit("SimpleTokenizer with a reduction_fn (token masking) is not supported")
        if clean != "lower":
            raise SystemExit(f"SimpleTokenizer with clean={clean!r} is not supported (only 'lower')")
        return {
            "mode": "clip", "clean": "lower", "context_length": int(tokenizer.context_length),
            "sot_token_id": int(tokenizer.sot_token_id), "eot_token_id": int(tokenizer.eot_token_id),
            "pad_token_id": 0, "vocab_size": 49408, "backend": None,
        }
    if isinstance(tokenizer, oc_tokenizer.HFTokenizer):
        from tokenizers import Tokenizer

        hf = tokenizer.tokenizer
        if clean is None:
            raise SystemExit(f"HFTokenizer with an unknown clean function {tokenizer.clean_fn!r}")
        if tokenizer.tokenizer_mode:
            raise SystemExit(f"HFTokenizer tokenizer_mode={tokenizer.tokenizer_mode!r} is not supported")
        if tokenizer.strip_sep_token:
            raise SystemExit("HFTokenizer with strip_sep_token=True (CLIPA) is not supported")
        if not getattr(hf, "is_fast", False):
            raise SystemExit(f"{type(hf).__name__} is not a Hugging Face fast tokenizer (no tokenizer.json)")
        if getattr(hf, "padding_side", "right") != "right" or getattr(hf, "truncation_side", "right") != "right":
            raise SystemExit(f"padding_side={hf.padding_side} truncation_side={hf.truncation_side}: only right")
        if hf.pad_token_id is None:
            raise SystemExit("the Hugging Face tokenizer has no pad token")
        # an independent copy: transformers leaves its own truncation/padding settings on the backend
        backend = Tokenizer.from_str(hf.backend_tokenizer.to_str())
        backend.no_truncation()
        backend.no_padding()
        return {
            "mode": "hf", "clean": clean, "context_length": int(tokenizer.context_length),
            "sot_token_id": -1 if hf.bos_token_id is None else int(hf.bos_token_id),
            "eot_token_id": -1 if hf.eos_token_id is None else int(hf.eos_token_id),
            "pad_token_id": int(hf.pad_token_id), "vocab_size": text_vocab_size(model), "backend": backend,
        }
    raise SystemExit(f"tokenizer {type(tokenizer).__name__} is neither open_clip's SimpleTokenizer nor HFTokenizer")


def hf_recipe_ids(spec: dict, text: str, clean_fn, truncate: bool = True):
    """The Java recipe for mode "hf", with the Rust `tokenizers` library on tokenizer.json: clean,
    encode with special tokens, truncate to context_length with the library's own truncation (which
    keeps the post-processor's special tokens), pad with pad_token_id. Returns (ids, untruncated_length)."""
    backend = spec["backend"]
    cleaned = clean_fn(text)
    untruncated = len(backend.encode(cleaned, add_special_tokens=True).ids)
    if not truncate:
        return None, untruncated
    backend.enable_truncation(max_length=spec["context_length"])
    try:
        ids = backend.encode(cleaned, add_special_tokens=True).ids
    finally:
        backend.no_truncation()
    return ids + [spec["pad_token_id"]] * (spec["context_length"] - len(ids)), untruncated


def check_hf_recipe(spec: dict, tokenizer):
    """The Java recipe (clean, then tokenizer.json with special tokens, library truncation, pad) must give
    open_clip's HFTokenizer ids for every golden text and some extra edge cases; the export stops if not."""
    extra = ["x " * 200, "word " * (spec["context_length"] - 2), "word " * (spec["context_length"] - 1),
             "word " * spec["context_length"], "under_score snake_case_name", "  \u00a0\u2003 ", "\u0130stanbul STRASSE \u00df",
             "\u00bfqu\u00e9? \u00a1s\u00ed! \u2026 \u00ab\u00bb", "tab\tsep\u3000ideographic space"]
    texts = [t for t, _ in GOLDEN_TEXTS] + extra
    want = tokenizer(texts).tolist()
    for text, w in zip(texts, want):
        got, _ = hf_recipe_ids(spec, text, tokenizer.clean_fn)
        if got != w:
            raise SystemExit(f"tokenizer.json recipe differs from open_clip HFTokenizer for {text!r}:\n"
                             f"  recipe    {got}\n  open_clip {w}")
    print(f"  ok tokenizer.json recipe == open_clip HFTokenizer on {len(texts)} texts")


def strip_debug_records(path: Path) -> None:
    """Drop TorchScript's *.debug_pkl records: they hold the absolute paths and line numbers of the
    Python that was traced (machine-specific, and they change whenever this script is edited), and
    libtorch does not need them. Rewritten with PyTorch's own writer, which keeps record alignment
    and writes deterministic archives."""
    reader = torch._C.PyTorchFileReader(str(path))
    records = [(name, reader.get_record(name)) for name in reader.get_all_records()
               if not name.endswith(".debug_pkl")]
    tmp = path.with_suffix(".tmp")
    writer = torch._C.PyTorchFileWriter(str(tmp))
    for name, data in records:
        writer.write_record(name, data, len(data))
    writer.write_end_of_file()
    del writer
    tmp.replace(path)


def write_metadata(out: Path, model, name: str, pretrained: str, tiny: str, seed: int, tokenizer, spec: dict):
    """tiny: "" (a real model), "clip" (--tiny) or "siglip" (--tiny-siglip)."""
    pp = dict(model.visual.preprocess_cfg)
    size = pp["size"]
    if isinstance(size, (list, tuple)):
        if size[0] != size[1]:
            raise SystemExit(f"non-square image size {size} is not supported by this exporter")
        size = size[0]
    resize_mode = pp.get("resize_mode", "shortest")
    if resize_mode not in ("shortest", "squash"):
        raise SystemExit(f"resize_mode {resize_mode} is not supported by this exporter")
    if pp.get("interpolation", "bicubic") != "bicubic":
        raise SystemExit(f"interpolation {pp.get('interpolation')} is not supported by this exporter")
    embedding_dim = int(model.text_projection.shape[-1]) if not hasattr(model, "text") else int(
        model.encode_text(torch.zeros(1, spec["context_length"], dtype=torch.long)).shape[-1])
    if tiny == "clip":
        source = (f"open_clip {TINY_MODEL_NAME} (ViT-B-32 architecture family, tiny widths), random weights, "
                  f"generated by infra/models/export_openclip.py --tiny --seed {seed}")
        license_ = "MIT (random weights generated by Memescope; tokenizer.json: CLIP BPE vocabulary, MIT, OpenAI)"
    elif tiny == "siglip":
        source = (f"open_clip {TINY_SIGLIP_MODEL_NAME} (SigLIP family: CustomTextCLIP, text pool_type last, "
                  f"no causal mask, HFTokenizer clean=canonicalize; tiny widths, open_clip ViT image tower), "
                  f"random weights and a tiny Unigram tokenizer built from a built-in corpus, generated by "
                  f"infra/models/export_openclip.py --tiny-siglip --seed {seed}")
        license_ = "MIT (random weights and tokenizer generated by Memescope)"
    elif spec["mode"] == "hf":
        source = (f"open_clip {name} pretrained={pretrained}, exported by "
                  f"infra/models/export_openclip.py --model {name} --pretrained {pretrained}")
        license_ = ("see the open_clip pretrained model card of this tag (OpenCLIP code: MIT); tokenizer.json: "
                    "the model's Hugging Face tokenizer, see its model card")
    else:
        source = (f"open_clip {name} pretrained={pretrained}, exported by "
                  f"infra/models/export_openclip.py --model {name} --pretrained {pretrained}")
        license_ = "see the open_clip pretrained model card of this tag (OpenCLIP code: MIT); tokenizer.json: MIT"
    meta = {
        "name": {"clip": TINY_MODEL_NAME, "siglip": TINY_SIGLIP_MODEL_NAME}.get(tiny, f"{name}/{pretrained}"),
        "pretrained": "random-tiny" if tiny else pretrained,
        "embedding_dim": embedding_dim,
        "image_size": int(size),
        "resize_mode": resize_mode,
        "crop_mode": "center" if resize_mode == "shortest" else "none",
        "interpolation": pp.get("interpolation", "bicubic"),
        "mean": [float(v) for v in pp["mean"]],
        "std": [float(v) for v in pp["std"]],
        "context_length": spec["context_length"],
        "sot_token_id": spec["sot_token_id"],
        "eot_token_id": spec["eot_token_id"],
        "pad_token_id": spec["pad_token_id"],
        "text_pooling": text_pooling(model),
        "lowercase": spec["clean"] in ("lower", "canonicalize"),
        "tokenizer_mode": spec["mode"],
        "text_clean": spec["clean"],
        "image_encoder": "image_encoder.pt",
        "text_encoder": "text_encoder.pt",
        "tokenizer": "tokenizer.json",
        "source": source,
        "license": license_,
        "torch_version": torch.__version__,
        "open_clip_version": open_clip.__version__,
        "tiny": bool(tiny) or pretrained == RANDOM,
    }
    expected_pool = "argmax" if spec["mode"] == "clip" else "last"
    if meta["text_pooling"] != expected_pool:
        print(f"WARNING: text pooling is {meta['text_pooling']!r}, not {expected_pool}", file=sys.stderr)
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


# Notes for the same texts under an open_clip HFTokenizer with clean='canonicalize' (SigLIP), by index
# into GOLDEN_TEXTS; {L} is the context length. Texts not listed keep their note.
HF_TEXT_NOTES = {
    2: "mixed case: lowercased by canonicalize",
    3: "punctuation (ASCII string.punctuation) removed by canonicalize",
    4: "canonicalize removes the apostrophes: dont youve im well theyd its",
    5: "curly apostrophe: ftfy turns it into ', then canonicalize removes it",
    6: "numbers: canonicalize removes . and , (3.14 -> 314)",
    9: "CJK (the tiny fixture's vocabulary has no CJK: one fused <unk>)",
    10: "emoji (the tiny fixture's vocabulary has none: <unk>)",
    11: "HTML entity unescaped, then & removed by canonicalize",
    12: "double-escaped entity: html.unescape twice, then & and < removed by canonicalize",
    15: "empty: [EOS, pad...] (no BOS for T5/SigLIP-style tokenizers)",
    16: "long (>{L} tokens): the library's truncation keeps the first {L}-1 ids and the EOS",
    17: "only punctuation: canonicalize leaves the empty string",
    18: "URL: punctuation removed by canonicalize",
    20: "curly quotes straightened, BOM removed (ftfy), quotes removed by canonicalize",
    22: "special-token-like text: canonicalize removes < | >",
    23: "canonicalize turns _ into a space and removes < >: 'hello end of text world'",
}

# ---------------------------------------------------------------------------------------------
# golden writer


def f32_list(vec: np.ndarray):
    # shortest decimal that round-trips to the same float32
    return [float(np.format_float_positional(v, unique=True, trim="-")) for v in vec.astype(np.float32)]


def l2n(x: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.normalize(x, dim=-1)


def write_golden(golden: Path, model, preprocess, tokenizer, traced_img, traced_txt, meta, spec):
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
    for i, ((text, note), ids, v) in enumerate(zip(GOLDEN_TEXTS, tokens.tolist(), tvecs)):
        if spec["mode"] == "hf":
            _, untruncated = hf_recipe_ids(spec, text, tokenizer.clean_fn, truncate=False)
            note = HF_TEXT_NOTES.get(i, note).format(L=spec["context_length"])
        else:
            untruncated = len(tokenizer.encode(text)) + 2
        texts.append({
            "text": text,
            "note": note,
            "cleaned": tokenizer.clean_fn(text),
            "untruncated_length": untruncated,
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
                          + ("-> open_clip preprocess (Resize shortest side bicubic, CenterCrop, convert('RGB'), "
                             "ToTensor, Normalize); see infra/models/README.md" if meta["resize_mode"] == "shortest"
                             else "-> open_clip preprocess (Resize to image_size x image_size bicubic ('squash', "
                                  "aspect ratio not kept, no crop), convert('RGB'), ToTensor, Normalize); "
                                  "see infra/models/README.md"),
        "preprocessed_sha256": "sha256 of the preprocessed [3,H,W] float32 tensor, little-endian, CHW order",
        "pre_f32_files": "<file>.pre.f32 = that same raw tensor (3*H*W float32 little-endian, CHW)",
        "token_ids": ("open_clip SimpleTokenizer (open_clip.get_tokenizer) output, the reference"
                      if spec["mode"] == "clip" else
                      f"open_clip HFTokenizer (clean={spec['clean']!r}, context_length {spec['context_length']}) "
                      "output, the reference; identical to tokenizer.json via the Hugging Face tokenizers library: "
                      "encode(cleaned, add_special_tokens=True) with truncation to context_length, padded with "
                      "pad_token_id (checked by the exporter)"),
        "tiny": meta["tiny"],
        "pillow_version": PIL.__version__,
        "torch_version": torch.__version__,
        "open_clip_version": open_clip.__version__,
        "images": images,
        "texts": texts,
    }
    if spec["mode"] == "hf":
        doc = {**{k: v for k, v in doc.items() if k not in ("images", "texts")},
               "untruncated_length": "number of ids (special tokens included) before truncation and padding",
               "pad_token_id": spec["pad_token_id"], "eot_token_id": spec["eot_token_id"],
               "images": images, "texts": texts}
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
        description="Export an open_clip CLIP or SigLIP model (or a tiny random-weight one) to Memescope's "
                    "model-directory format: image_encoder.pt, text_encoder.pt (TorchScript), "
                    "tokenizer.json, metadata.json; optionally golden vectors.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="open_clip model name, e.g. ViT-B-32 (needs --pretrained)")
    src.add_argument("--tiny", action="store_true",
                     help="build a tiny random-weight ViT-B-32-family model (test fixture, not semantic)")
    src.add_argument("--tiny-siglip", action="store_true",
                     help="build a tiny random-weight SigLIP-family model with a tiny offline Unigram "
                          "tokenizer (test fixture, not semantic)")
    p.add_argument("--pretrained", help="open_clip pretrained tag, e.g. laion2b_s34b_b79k (downloads weights),"
                                        " or 'random' for the architecture with random weights (benchmarks)")
    p.add_argument("--seed", type=int, default=0, help="random seed for --tiny and the trace checks (default 0)")
    p.add_argument("--out", required=True, type=Path, help="output model directory")
    p.add_argument("--golden", type=Path, help="also write golden sample images and vectors to this directory")
    p.add_argument("--tokenizer-json", type=Path, default=DEFAULT_TOKENIZER_JSON,
                   help=f"CLIP models only: Hugging Face tokenizer.json to copy (default {DEFAULT_TOKENIZER_JSON}); "
                        "HFTokenizer models (SigLIP) get their own tokenizer's JSON")
    p.add_argument("--threads", type=int, default=1,
                   help="torch intra-op threads (default 1, for reproducible floating point)")
    args = p.parse_args(argv)
    if args.model and not args.pretrained:
        p.error("--model needs --pretrained")
    if (args.tiny or args.tiny_siglip) and args.pretrained:
        p.error("--tiny/--tiny-siglip take no --pretrained")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    if args.tiny:
        print(f"building tiny random model (seed {args.seed})")
        model, preprocess, tokenizer = load_tiny(args.seed)
        name, pretrained, tiny = TINY_MODEL_NAME, "random-tiny", "clip"
    elif args.tiny_siglip:
        print(f"building tiny random SigLIP-family model (seed {args.seed})")
        model, preprocess, tokenizer = load_tiny_siglip(args.seed)
        name, pretrained, tiny = TINY_SIGLIP_MODEL_NAME, "random-tiny", "siglip"
    else:
        print(f"loading {args.model} pretrained={args.pretrained}")
        model, preprocess, tokenizer = load_real(args.model, args.pretrained)
        name, pretrained, tiny = args.model, args.pretrained, ""
    model.eval()
    model.float()

    spec = tokenizer_spec(tokenizer, model)
    meta = write_metadata(args.out, model, name, pretrained, tiny, args.seed, tokenizer, spec)
    print(f"exporting TorchScript to {args.out}")
    traced_img, traced_txt = export_torchscript(
        model, args.out, meta["image_size"], meta["context_length"], spec, args.seed)
    if spec["mode"] == "clip":
        shutil.copyfile(args.tokenizer_json, args.out / "tokenizer.json")
    else:
        # the model's own fast tokenizer (normaliser, pre-tokeniser, model, post-processor adding the
        # special tokens), truncation and padding off: Memescope truncates and pads itself
        (args.out / "tokenizer.json").write_text(spec["backend"].to_str(pretty=True) + "\n", encoding="utf-8")
        check_hf_recipe(spec, tokenizer)
    if args.golden:
        print(f"writing golden samples to {args.golden}")
        write_golden(args.golden, model, preprocess, tokenizer, traced_img, traced_txt, meta, spec)
    for f in sorted(args.out.rglob("*")):
        if f.is_file():
            print(f"  {f.stat().st_size:>10}  {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
