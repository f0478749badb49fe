#!/usr/bin/env python3
"""Check the JSON Schemas of Shared/KakusaEvents/Schemas, and optionally sample records against them.

    check_schemas.py [--schemas DIR] [SAMPLES_DIR]

Every *.schema.json must be a valid draft 2020-12 schema whose $id ends in its file name. With SAMPLES_DIR,
each SAMPLES_DIR/valid/<schema>/*.json must validate against Schemas/<schema>.schema.json and each
SAMPLES_DIR/invalid/<schema>/*.json must be rejected; every schema needs at least one valid sample.
Formats are asserted (Draft202012Validator.FORMAT_CHECKER); the schemas also carry regex patterns, since
date-time checking needs an optional package.

Exit codes: 0 all as expected, 1 an unexpected result, 2 bad usage or a bad schema, 3 jsonschema missing.
"""

import argparse
import json
import pathlib
import sys

try:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
except ImportError:
    print("jsonschema is not installed for " + sys.executable + "; run scripts/test, or "
          "python3 -m venv .venv && .venv/bin/pip install jsonschema", file=sys.stderr)
    sys.exit(3)

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_SCHEMAS = ROOT / "Shared" / "KakusaEvents" / "Schemas"


def load_schemas(directory):
    schemas = {}
    for path in sorted(directory.glob("*.schema.json")):
        name = path.name[: -len(".schema.json")]
        schema = json.loads(path.read_text(encoding="utf-8"))
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as error:
            raise SystemExit(f"{path}: not a valid draft 2020-12 schema: {error.message}")
        if not schema.get("$id", "").endswith("/" + path.name):
            raise SystemExit(f"{path}: $id {schema.get('$id')!r} does not end in /{path.name}")
        schemas[name] = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    if not schemas:
        raise SystemExit(f"{directory}: no *.schema.json found")
    return schemas


def check_samples(schemas, samples):
    failures = 0
    passed = 0
    valid_seen = set()
    for expectation in ("valid", "invalid"):
        for path in sorted((samples / expectation).glob("*/*.json")):
            name = path.parent.name
            if name not in schemas:
                print(f"FAIL {path}: no schema named {name}")
                failures += 1
                continue
            instance = json.loads(path.read_text(encoding="utf-8"))
            errors = sorted(schemas[name].iter_errors(instance), key=lambda e: list(e.absolute_path))
            if expectation == "valid":
                valid_seen.add(name)
                if not errors:
                    passed += 1
                else:
                    failures += 1
                    for error in errors:
                        where = "/".join(str(p) for p in error.absolute_path) or "(record)"
                        print(f"FAIL {path}: expected valid, {where}: {error.message}")
            elif errors:
                passed += 1
            else:
                failures += 1
                print(f"FAIL {path}: expected to be rejected by {name}, but it validates")
    for name in sorted(set(schemas) - valid_seen):
        failures += 1
        print(f"FAIL {name}: no valid sample under {samples / 'valid' / name}")
    print(f"{passed} samples as expected, {failures} unexpected ({len(schemas)} schemas)")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", type=pathlib.Path, default=DEFAULT_SCHEMAS)
    parser.add_argument("samples", type=pathlib.Path, nargs="?")
    arguments = parser.parse_args()
    try:
        schemas = load_schemas(arguments.schemas)
    except SystemExit as error:
        print(error, file=sys.stderr)
        return 2
    if arguments.samples is None:
        print(f"{len(schemas)} schemas valid")
        return 0
    return 1 if check_samples(schemas, arguments.samples) else 0


if __name__ == "__main__":
    sys.exit(main())
