"""Turns CustomResourceDefinitions (YAML) into JSON schemas that kubeconform reads, one per
kind and version: <out>/<group>/<kind>_<version>.json (kubeconform's naming). Strict, like
kubeconform's own openapi2jsonschema: an object schema without additionalProperties or
x-kubernetes-preserve-unknown-fields accepts no other keys; x-kubernetes-int-or-string becomes
"string or integer".

    python crd2jsonschema.py OUT_DIR CRD.yaml... [--extend-enum PATH=V1,V2]

--extend-enum adds values to an enum at a dotted path inside spec (used for the Flink
operator's flinkVersion, see docs/deploy.md).
"""
import json
import os
import sys

import yaml


def strict(node):
    if isinstance(node, dict):
        if node.pop("x-kubernetes-int-or-string", False):
            node.pop("type", None)
            node["oneOf"] = [{"type": "string"}, {"type": "integer"}]
        if (
            node.get("type") == "object"
            and "properties" in node
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
        ):
            node["additionalProperties"] = False
        for value in node.values():
            strict(value)
    elif isinstance(node, list):
        for value in node:
            strict(value)
    return node


def main(argv):
    out = argv[0]
    extend = {}
    files = []
    args = iter(argv[1:])
    for a in args:
        if a == "--extend-enum":
            path, values = next(args).split("=", 1)
            extend[path] = values.split(",")
        else:
            files.append(a)
    written = 0
    for f in files:
        with open(f) as fh:
            for crd in yaml.safe_load_all(fh):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                group = crd["spec"]["group"]
                kind = crd["spec"]["names"]["kind"].lower()
                for v in crd["spec"]["versions"]:
                    schema = v["schema"]["openAPIV3Schema"]
                    for path, values in extend.items():
                        node = schema["properties"]["spec"]
                        for part in path.split("."):
                            node = node["properties"][part]
                        node["enum"] = list(dict.fromkeys(node["enum"] + values))
                    schema = strict(schema)
                    schema.setdefault("properties", {})
                    schema["properties"]["apiVersion"] = {"type": "string", "enum": [group + "/" + v["name"]]}
                    schema["properties"]["kind"] = {"type": "string", "enum": [crd["spec"]["names"]["kind"]]}
                    # Kubernetes validates metadata itself; CRD schemas may leave it out.
                    schema["properties"].setdefault("metadata", {"type": "object"})
                    os.makedirs(os.path.join(out, group), exist_ok=True)
                    with open(os.path.join(out, group, f"{kind}_{v['name']}.json"), "w") as o:
                        json.dump(schema, o)
                    written += 1
    print(f"crd2jsonschema: {written} schemas in {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
