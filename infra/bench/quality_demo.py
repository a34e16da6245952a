"""The quality loop on a running stack, end to end, with a simulated rater.

Rates N pairs through the rater app's HTTP API (as the rating page does: sign-in, CSRF token,
leases) with a simulated preference for brighter images, so that the result can be checked:
after `memescope train run --publish`, `--check` pages through `"sort": "quality"` on the
serving API and prints the Spearman correlation between each image's stored quality and its
brightness (0 is chance, 1 a perfect ordering).

  quality_demo.py rate  [--pairs N]   # needs the stack's rater (8091) and an indexed corpus
  quality_demo.py check               # needs serving (8090), after publishing a model
"""
import argparse, io, json, pathlib, sys, urllib.request
from PIL import Image, ImageStat

ap = argparse.ArgumentParser()
ap.add_argument("what", choices=["rate", "check"])
ap.add_argument("--pairs", type=int, default=150)
ap.add_argument("--rater", default="http://127.0.0.1:8091")
ap.add_argument("--serving", default="http://127.0.0.1:8090")
ap.add_argument("--password-file", default=".memescope/conf/rater-admin-password")
args = ap.parse_args()


def brightness(raw):
    return ImageStat.Stat(Image.open(io.BytesIO(raw)).convert("L")).mean[0]


def rate():
    cookie = None

    def call(method, path, body=None, csrf=None):
        nonlocal cookie
        req = urllib.request.Request(args.rater + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
        req.add_header("Content-Type", "application/json")
        if csrf:
            req.add_header("X-CSRF-Token", csrf)
        if cookie:  # the session cookie is Secure: sent by hand over plain http to 127.0.0.1
            req.add_header("Cookie", cookie)
        with urllib.request.urlopen(req) as r:
            if r.headers.get("Set-Cookie"):
                cookie = r.headers["Set-Cookie"].split(";")[0]
            raw = r.read()
            return json.loads(raw) if r.headers.get_content_type() == "application/json" else raw

    password = pathlib.Path(args.password_file).read_text().strip()
    csrf = call("POST", "/api/login", {"username": "admin", "password": password})["csrf"]
    dims = [d["name"] for d in call("GET", "/api/me")["dimensions"]]
    seen = {}

    def b(image_id):
        if image_id not in seen:
            seen[image_id] = brightness(call("GET", f"/images/{image_id}/large"))
        return seen[image_id]

    for n in range(1, args.pairs + 1):
        pair = call("POST", "/api/pairs/next", {}, csrf)["pair"]
        if pair is None:
            sys.exit(f"no pair to rate after {n - 1}")
        d = b(pair["left"]["id"]) - b(pair["right"]["id"])  # brighter is better
        v = -2 if d > 40 else -1 if d > 8 else 0 if d > -8 else 1 if d > -40 else 2
        call("POST", "/api/ratings", {"lease": pair["lease"], "scores": {k: v for k in dims}}, csrf)
        if n % 25 == 0 or n == args.pairs:
            print(f"rated {n}/{args.pairs}", flush=True)


def check():
    results, cursor = [], None
    while True:
        body = {"terms": [{"text": "meme", "weight": 1}], "limit": 50, "sort": "quality"}
        if cursor:
            body["cursor"] = cursor
        req = urllib.request.Request(args.serving + "/api/search", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        page = json.load(urllib.request.urlopen(req))
        results += page["results"]
        cursor = page.get("cursor")
        if not cursor:
            break
    q = [r["quality"] for r in results]
    br = [brightness(urllib.request.urlopen(args.serving + r["thumbnails"]["small"]["url"]).read())
          for r in results]

    def ranks(v):
        order = sorted(range(len(v)), key=lambda i: v[i])
        out = [0] * len(v)
        for k, i in enumerate(order):
            out[i] = k
        return out

    rq, rb, n = ranks(q), ranks(br), len(q)
    rho = 1 - 6 * sum((a - c) ** 2 for a, c in zip(rq, rb)) / (n * (n * n - 1))
    print(f"{n} images; Spearman rho(quality, brightness) = {rho:.3f}")


rate() if args.what == "rate" else check()
