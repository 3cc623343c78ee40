"""Scrapes /metrics and parses it with the Prometheus client's own text parser: every family
must parse, and the series operators alert on must be there."""

import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

base_url = sys.argv[1]
text = urllib.request.urlopen(f"{base_url}/metrics").read().decode()
families = {family.name: family for family in text_string_to_metric_families(text)}

expected = {
    "ou_http_requests": "counter",
    "ou_http_request_duration_seconds": "histogram",
    "ou_db_statements": "counter",
    "ou_db_statement_duration_seconds": "histogram",
    "ou_db_pool_connections": "gauge",
    "ou_job_lag_seconds": "gauge",
    "ou_uptime_seconds": "gauge",
}
failures = []
for name, kind in expected.items():
    family = families.get(name)
    if family is None:
        failures.append(f"{name} is missing")
    elif family.type != kind:
        failures.append(f"{name} is a {family.type}, not a {kind}")
routes = {sample.labels.get("route") for sample in families["ou_http_requests"].samples} if "ou_http_requests" in families else set()
if not any(route and "{" in route for route in routes):
    failures.append(f"requests are not counted by route template: {sorted(r for r in routes if r)[:10]}")
for failure in failures:
    print(f"metrics: {failure}")
print(f"metrics: {len(families)} families parsed")
sys.exit(1 if failures else 0)
