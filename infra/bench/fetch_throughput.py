"""Fetch throughput benchmark: the Python side of infra/bench/fetch-throughput.sh.

  fetch_throughput.py generate DIR [--count N] [--seed S]
        write the corpus (meme-like JPEGs and PNGs, 400-1200 px a side) into DIR/img and its
        list into DIR/files.txt; does nothing if DIR already holds the same corpus
  fetch_throughput.py serve DIR --port-file FILE
        serve DIR on 127.0.0.1, on a free port written to FILE, until killed (threaded, HTTP/1.1
        keep-alive, a listen backlog of 1024, no request log)
  fetch_throughput.py img2dataset URLS OUT --processes P --threads T [--shard N] [--label L]
        run img2dataset.download on URLS (resize to 256, keep_ratio, output_format files) into
        OUT, and print a RESULT line: the wall clock of the download() call and the span of its
        shards (first shard's start to last shard's end, from img2dataset's own stats files)
  fetch_throughput.py table RESULTS
        print the table of the RESULT lines collected in RESULTS and the ratios

The corpus (fixed seed, so every run makes the same files): a background that is one of
scikit-image's bundled sample photos (cropped to the frame and scaled) or a rendered picture
(gradient, blobs or noise with a few shapes), with meme captions: white bold capitals with a black
outline at the top and bottom, or black text on a white band above the picture. About 65 % are
JPEGs (quality 70-95), 30 % RGB PNGs and 5 % PNGs with transparency.
"""

import argparse
import glob
import http.server
import json
import multiprocessing
import os
import random
import statistics
import sys
import time

FORMAT_VERSION = 1
FONT_PATHS = ["/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"]
PHOTOS = [
    "astronaut", "brick", "camera", "cat", "chelsea", "coffee", "coins", "grass", "gravel",
    "horse", "hubble_deep_field", "immunohistochemistry", "moon", "motorcycle", "page", "retina",
    "rocket", "text", "colorwheel", "logo", "clock",
]
WORDS = ("WHEN YOU ME NOBODY THE BUILD IS GREEN BUT PROD ONE DOES NOT SIMPLY DEPLOY ON FRIDAY "
         "MY FACE TRYING TO EXPLAIN REGEX COWORKERS AFTER CAT SEES CUCUMBER NEW FRAMEWORK "
         "JUST DROPPED MONDAY MORNING COFFEE TOO MUCH SUCH WOW MUCH DOGE IT WORKS ON MACHINE "
         "NOT SURE IF GENIUS OR BRUH MOMENT STONKS BRAIN EXPANDING").split()


# ---------------------------------------------------------------- corpus

_photos = {}


def photo(name):
    """A scikit-image sample photo as an RGB Pillow image (cached per process)."""
    import numpy as np
    import skimage.data
    from PIL import Image

    if name not in _photos:
        if name == "motorcycle":
            array = skimage.data.stereo_motorcycle()[0]
        else:
            array = getattr(skimage.data, name)()
        if array.dtype == bool:
            array = array.astype(np.uint8) * 255
        if array.dtype != np.uint8:
            array = (array.astype(np.float64) / max(1, array.max()) * 255).astype(np.uint8)
        image = Image.fromarray(array)
        _photos[name] = image.convert("RGB")
    return _photos[name]


def font(size):
    from PIL import ImageFont

    for path in FONT_PATHS:
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def wrap(draw, text, f, width):
    lines, line = [], ""
    for word in text.split():
        candidate = (line + " " + word).strip()
        if line and draw.textlength(candidate, font=f) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    return lines


def caption(rng, words):
    return " ".join(rng.choice(WORDS) for _ in range(words))


def background(rng, w, h):
    import numpy as np
    from PIL import Image, ImageDraw

    if rng.random() < 0.6:
        src = photo(rng.choice(PHOTOS))
        # crop the largest box of the frame's aspect ratio at a random place, then scale
        sw, sh = src.size
        scale = min(sw / w, sh / h) * rng.uniform(0.75, 1.0)
        cw, ch = max(1, int(w * scale)), max(1, int(h * scale))
        x, y = rng.randint(0, sw - cw), rng.randint(0, sh - ch)
        return src.crop((x, y, x + cw, y + ch)).resize((w, h), Image.BICUBIC)
    c1 = np.array([rng.randrange(256) for _ in range(3)], dtype=np.float32)
    c2 = np.array([rng.randrange(256) for _ in range(3)], dtype=np.float32)
    kind = rng.choice(["gradient", "blobs", "noise"])
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "gradient":
        angle = rng.uniform(0, np.pi)
        t = xs * np.cos(angle) + ys * np.sin(angle)
        t = (t - t.min()) / max(1e-6, float(np.ptp(t)))
    elif kind == "blobs":
        t = np.zeros((h, w), dtype=np.float32)
        for _ in range(4):
            cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.1, 0.5) * w
            t += np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * r * r))
        t = t / max(1e-6, float(t.max()))
    else:
        coarse = np.array([[rng.random() for _ in range(12)] for _ in range(12)])
        t = np.asarray(Image.fromarray((coarse * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC),
                       dtype=np.float32) / 255
    pixels = c1[None, None, :] * (1 - t[..., None]) + c2[None, None, :] * t[..., None]
    # a little grain, as in photos and screenshots of screenshots
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    pixels += nrng.normal(0, 6, pixels.shape).astype(np.float32)
    image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(2, 6)):
        colour = tuple(rng.randrange(256) for _ in range(3))
        x0, y0 = rng.uniform(-0.1, 0.8) * w, rng.uniform(-0.1, 0.8) * h
        x1, y1 = x0 + rng.uniform(0.15, 0.6) * w, y0 + rng.uniform(0.15, 0.6) * h
        shape = rng.choice(["ellipse", "rectangle", "line"])
        if shape == "ellipse":
            draw.ellipse([x0, y0, x1, y1], fill=colour)
        elif shape == "rectangle":
            draw.rectangle([x0, y0, x1, y1], fill=colour)
        else:
            draw.line([x0, y0, x1, y1], fill=colour, width=rng.randint(5, 25))
    return image


def outlined(draw, w, y, lines, f, size):
    step = int(size * 1.15)
    for line in lines:
        tw = draw.textlength(line, font=f)
        draw.text(((w - tw) / 2, y), line, font=f, fill="white", stroke_width=max(1, size // 12),
                  stroke_fill="black")
        y += step
    return y


def make_image(index, seed):
    """Image number INDEX of the corpus: (a Pillow image, the format to save it in)."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed * 1_000_003 + index)
    w = rng.randint(400, 1200)
    aspect = rng.choice([1.0, 1.0, 4 / 3, 3 / 4, 16 / 9, 9 / 16, 5 / 4, 4 / 5])
    h = max(400, min(1200, int(w / aspect)))
    style = rng.random()
    if style < 0.25:
        # modern style: black text on a white band above the picture (the band is part of the
        # frame: the picture is the frame minus the band)
        size = max(16, w // 18)
        f = font(size)
        probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
        lines = wrap(probe, caption(rng, rng.randint(5, 16)).capitalize(), f, w * 0.92)
        band = int(size * 1.3 * len(lines) + size)
        band = min(band, h // 2)
        image = Image.new("RGB", (w, h), "white")
        image.paste(background(rng, w, h - band), (0, band))
        draw = ImageDraw.Draw(image)
        y = size // 2
        for line in lines:
            draw.text((w * 0.04, y), line, font=f, fill="black")
            y += int(size * 1.3)
    else:
        image = background(rng, w, h)
        draw = ImageDraw.Draw(image)
        size = max(18, min(h // 9, w // 9))
        f = font(size)
        top = wrap(draw, caption(rng, rng.randint(2, 5)), f, w * 0.92)
        outlined(draw, w, int(h * 0.03), top, f, size)
        if rng.random() < 0.85:
            bottom = wrap(draw, caption(rng, rng.randint(2, 5)), f, w * 0.92)
            outlined(draw, w, h - int(size * 1.15) * len(bottom) - int(h * 0.04), bottom, f, size)
    kind = rng.random()
    if kind < 0.65:
        return image, "jpeg", {"quality": rng.randint(70, 95)}
    if kind < 0.95:
        return image, "png", {}
    # transparency: a rounded sticker on a transparent canvas
    rgba = image.convert("RGBA")
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rounded_rectangle([w * 0.04, h * 0.04, w * 0.96, h * 0.96],
                                           radius=min(w, h) // 8, fill=255)
    rgba.putalpha(mask)
    return rgba, "png", {}


def write_one(job):
    index, seed, directory = job
    image, fmt, options = make_image(index, seed)
    name = f"m{index:05d}.{'jpg' if fmt == 'jpeg' else 'png'}"
    image.save(os.path.join(directory, name), fmt.upper(), **options)
    return name, image.size[0], image.size[1], fmt, image.mode


def generate(args):
    spec = {"version": FORMAT_VERSION, "count": args.count, "seed": args.seed}
    spec_file = os.path.join(args.dir, "corpus.json")
    files_file = os.path.join(args.dir, "files.txt")
    images = os.path.join(args.dir, "img")
    if os.path.exists(spec_file) and os.path.exists(files_file):
        with open(spec_file, encoding="utf-8") as f:
            if json.load(f).get("spec") == spec:
                print(f"corpus: {args.dir} already holds it ({args.count} images, seed {args.seed})")
                summary(args.dir)
                return
    os.makedirs(images, exist_ok=True)
    for old in glob.glob(os.path.join(images, "*")):
        os.remove(old)
    started = time.time()
    rows = []
    jobs = [(i, args.seed, images) for i in range(args.count)]
    with multiprocessing.Pool(os.cpu_count()) as pool:
        for row in pool.imap(write_one, jobs, chunksize=8):
            rows.append(row)
            if len(rows) % 200 == 0:
                print(f"  corpus: {len(rows)}/{args.count} images "
                      f"({time.time() - started:.0f} s)", file=sys.stderr, flush=True)
    with open(files_file, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(f"img/{row[0]}\n")
    with open(spec_file, "w", encoding="utf-8") as f:
        json.dump({"spec": spec, "images": rows}, f)
    summary(args.dir)


def summary(directory):
    with open(os.path.join(directory, "corpus.json"), encoding="utf-8") as f:
        rows = json.load(f)["images"]
    sizes = [os.path.getsize(os.path.join(directory, "img", r[0])) for r in rows]
    pixels = [r[1] * r[2] for r in rows]
    kinds = {}
    for r in rows:
        key = f"{r[3]}-{r[4]}"
        kinds[key] = kinds.get(key, 0) + 1
    print(f"corpus: {len(rows)} images, {sum(sizes) / 1e6:.0f} MB, mean {statistics.mean(sizes) / 1e3:.0f} kB "
          f"(median {statistics.median(sizes) / 1e3:.0f} kB), mean {statistics.mean(pixels) / 1e6:.2f} "
          f"megapixels, {', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}")


# ---------------------------------------------------------------- server

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive for clients that use it (OkHttp does, urllib not)

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default 5 drops connections when 64 arrive at once


def serve(args):
    directory = os.path.abspath(args.dir)

    def handler(*a, **kw):
        return QuietHandler(*a, directory=directory, **kw)

    with Server(("127.0.0.1", 0), handler) as server:
        port = server.server_address[1]
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(str(port))
        os.replace(tmp, args.port_file)
        server.serve_forever()


# ---------------------------------------------------------------- img2dataset

def run_img2dataset(args):
    import shutil

    # albumentations asks PyPI for a newer version on import, in every worker: not in a benchmark
    os.environ["NO_ALBUMENTATIONS_UPDATE"] = "1"
    from img2dataset import download

    before = cpu_use(args.server_pid)

    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    if args.shard is None:
        with open(args.urls, encoding="utf-8") as f:
            count = sum(1 for line in f if line.strip())
        args.shard = max(1, -(-count // (4 * args.processes)))
    started = time.perf_counter()
    download(
        url_list=args.urls,
        input_format="txt",
        output_folder=args.out,
        output_format="files",
        image_size=256,
        resize_mode="keep_ratio",
        processes_count=args.processes,
        thread_count=args.threads,
        number_sample_per_shard=args.shard,
        timeout=30,
        retries=0,
        enable_wandb=False,
    )
    wall = time.perf_counter() - started
    others = others_share(before, cpu_use(args.server_pid), wall)
    count = ok = failed_download = failed_resize = 0
    first, last = float("inf"), 0.0
    errors = {}
    for stats_file in glob.glob(os.path.join(args.out, "*_stats.json")):
        with open(stats_file, encoding="utf-8") as f:
            s = json.load(f)
        count += s["count"]
        ok += s["successes"]
        failed_download += s["failed_to_download"]
        failed_resize += s["failed_to_resize"]
        first = min(first, s["start_time"])
        last = max(last, s["end_time"])
        for k, v in s.get("status_dict", {}).items():
            if k != "success":
                errors[k] = errors.get(k, 0) + v
    span = last - first
    written = len(glob.glob(os.path.join(args.out, "*", "*.jpg")))
    print(f"{args.label}: {ok} ok, {failed_download} failed to download, {failed_resize} failed to "
          f"resize of {count}; {written} files written; download() took {wall:.2f} s "
          f"= {ok / wall:.1f} images/s; shards ran {span:.2f} s = {ok / span:.1f} images/s")
    if errors:
        print(f"  errors: {errors}")
    print(f"  other processes used {100 * others:.0f}% of the machine's CPU time meanwhile")
    print(f"RESULT {args.label} {ok} {failed_download + failed_resize} {wall:.3f} {ok / wall:.1f} "
          f"{others:.3f} {span:.3f} {ok / span:.1f}")
    shutil.rmtree(args.out, ignore_errors=True)


def cpu_use(server_pid):
    """CPU seconds so far: the machine's (busy ticks in /proc/stat), this process's and its
    finished children's (img2dataset joins its workers before download() returns), the server's."""
    ticks = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat", encoding="ascii") as f:
        cpu = f.readline().split()
    machine = sum(int(cpu[i]) for i in (1, 2, 3, 6, 7, 8)) / ticks  # all but idle and iowait
    t = os.times()
    own = t.user + t.system + t.children_user + t.children_system
    server = 0.0
    if server_pid:
        with open(f"/proc/{server_pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        server = (int(fields[11]) + int(fields[12])) / ticks
    return machine, own, server


def others_share(before, after, wall):
    """The share of all cores' time between two cpu_use() calls used by neither us nor the server."""
    others = (after[0] - before[0]) - (after[1] - before[1]) - (after[2] - before[2])
    return max(0.0, others) / (wall * os.cpu_count())


# ---------------------------------------------------------------- table

def table(args):
    """The RESULT lines as a Markdown table, in the order they ran, then the means and ratios."""
    rows = []
    with open(args.results, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] == "RESULT":
                rows.append(parts[1:])
    what = {
        "full": "Memescope, the job's path: fetch, decode, SHA-256, 256 + 720 thumbnails, pHash",
        "small": "Memescope, img2dataset's share of the work: fetch, decode, SHA-256, 256 thumbnail",
        "fetch": "Memescope, fetching alone (the ceiling set by server and loopback)",
    }
    rates = {"full": [], "small": [], "fetch": [], "call": [], "shards": []}
    print()
    print("| round | what | ok | failed | time | images/s | CPU taken by other processes |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        label, ok, failed, wall, rate = r[0], int(r[1]), int(r[2]), float(r[3]), float(r[4])
        others = f"{100 * float(r[5]):.0f} %"
        round_no = "".join(c for c in label.split("-")[1] if c.isdigit()) or "-"
        if label.startswith("img2dataset"):
            span, span_rate = float(r[6]), float(r[7])
            rates["call"].append(rate)
            rates["shards"].append(span_rate)
            print(f"| {round_no} | img2dataset: its shards (the whole download() call) | {ok} | {failed} "
                  f"| {span:.2f} s ({wall:.2f} s) | **{span_rate:.1f}** ({rate:.1f}) | {others} |")
        else:
            kind = label.rsplit("-", 1)[1]
            rates[kind].append(rate)
            print(f"| {round_no} | {what[kind]} | {ok} | {failed} | {wall:.2f} s | **{rate:.1f}** | {others} |")
    mean = {k: statistics.mean(v) for k, v in rates.items() if v}
    print()
    print("mean images/s: " + ", ".join(f"{k} {v:.1f}" for k, v in mean.items()))
    if "shards" in mean:
        for kind in ("full", "small"):
            if kind in mean:
                print(f"ratio Memescope {kind} / img2dataset: {mean[kind] / mean['shards']:.2f}x against its "
                      f"shards, {mean[kind] / mean['call']:.2f}x against the whole call (goal: >= 1.0x)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate")
    g.add_argument("dir")
    g.add_argument("--count", type=int, default=2000)
    g.add_argument("--seed", type=int, default=5)
    s = sub.add_parser("serve")
    s.add_argument("dir")
    s.add_argument("--port-file", required=True)
    i = sub.add_parser("img2dataset")
    i.add_argument("urls")
    i.add_argument("out")
    i.add_argument("--processes", type=int, required=True)
    i.add_argument("--threads", type=int, required=True)
    i.add_argument("--shard", type=int, help="URLs per shard; default: enough for 4 shards a process")
    i.add_argument("--label", default="img2dataset")
    i.add_argument("--server-pid", type=int)
    t = sub.add_parser("table")
    t.add_argument("results")
    args = parser.parse_args()
    {"generate": generate, "serve": serve, "img2dataset": run_img2dataset, "table": table}[args.command](args)


if __name__ == "__main__":
    main()
