"""Parses Prometheus text exposition from stdin with the official client's
parser and prints the families as JSON, for the Rust tests to assert on."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

families = []
for family in text_string_to_metric_families(sys.stdin.read()):
    families.append({
        "name": family.name,
        "type": family.type,
        "help": family.documentation,
        "samples": [
            {"name": s.name, "labels": s.labels, "value": s.value, "timestamp": s.timestamp}
            for s in family.samples
        ],
    })
json.dump(families, sys.stdout)
