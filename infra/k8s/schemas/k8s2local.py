"""Makes kubernetes-validate's bundled Kubernetes JSON schemas (PyPI package
kubernetes-validate, directory v<version>-local-strict) readable by kubeconform from a local
directory: their $refs point at /api/_definitions.json under a kubernetes.io $id, which becomes
a relative reference to the _definitions.json beside each file.

    python k8s2local.py SRC_DIR OUT_DIR
"""
import json
import os
import sys


def main(src, out):
    os.makedirs(out, exist_ok=True)
    n = 0
    for name in os.listdir(src):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(src, name)) as f:
            text = f.read().replace('"/api/_definitions.json#', '"_definitions.json#')
        schema = json.loads(text)
        schema.pop("$id", None)
        with open(os.path.join(out, name), "w") as f:
            json.dump(schema, f)
        n += 1
    print(f"k8s2local: {n} schemas in {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
