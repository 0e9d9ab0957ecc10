#!/usr/bin/env python3
"""Validates an OpenAPI 3.1 document (openapi-spec-validator), then validates JSON
values against its schemas. Reads from standard input a JSON list of
[pointer, value] pairs, e.g. [["#/components/schemas/LoginResponse", {...}], ...];
prints one line per failure and exits 1 if any.

Usage: scripts/validate-openapi.py DOCUMENT.json < checks.json"""
import json, sys
from openapi_spec_validator import validate
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

document = json.load(open(sys.argv[1]))
validate(document)
registry = Registry().with_resource("urn:doc", Resource(contents=document, specification=DRAFT202012))
failures = 0
for pointer, value in json.load(sys.stdin):
    schema = {"$ref": "urn:doc" + pointer}
    for error in Draft202012Validator(schema, registry=registry).iter_errors(value):
        failures += 1
        print(f"{pointer}: {error.message} at {list(error.absolute_path)}")
print(f"checked {len(document.get('paths', {}))} paths; {failures} violations")
sys.exit(1 if failures else 0)
