"""Every feed of a running server, as feed readers see it: RSS and Atom parsed by feedparser
with no `bozo` error, JSON Feed checked against the JSON Feed 1.1 rules; a draft with a unique
word appears in no feed and in no anonymous search.

    python feeds_check.py BASE_URL ADMIN_TOKEN
"""

import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

import feedparser

base, token = sys.argv[1].rstrip("/"), sys.argv[2]
SECRET = "xylophanticdraftword"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
failures = []


def fetch(path, headers=None, data=None, method=None):
    request = urllib.request.Request(base + path, data=data, headers=headers or {}, method=method)
    with urllib.request.urlopen(request) as response:
        return response.status, dict(response.headers), response.read()


def admin(path, body):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return json.loads(fetch(path, headers, json.dumps(body).encode(), "POST")[2])


def check(condition, message):
    if not condition:
        failures.append(message)


def check_json_feed(url, doc):
    check(doc.get("version") == "https://jsonfeed.org/version/1.1", f"{url}: version")
    check(isinstance(doc.get("title"), str) and doc["title"], f"{url}: title")
    for key in ("home_page_url", "feed_url"):
        check(isinstance(doc.get(key), str) and doc[key].startswith("http"), f"{url}: {key}")
    check(isinstance(doc.get("items"), list), f"{url}: items")
    for item in doc.get("items", []):
        check(isinstance(item.get("id"), str) and item["id"], f"{url}: item id")
        check("content_html" in item or "content_text" in item, f"{url}: item content")
        for key in ("date_published", "date_modified"):
            if key in item:
                check(bool(RFC3339.match(item[key])), f"{url}: {key} {item[key]}")
        for author in item.get("authors", []):
            check(isinstance(author.get("name"), str), f"{url}: author name")
        if "tags" in item:
            check(all(isinstance(t, str) for t in item["tags"]), f"{url}: tags")


# A draft in a sector, with a unique word everywhere.
sector = json.loads(fetch("/api/v1/sectors?limit=1")[2])[0]
admin("/api/v1/essays", {"title": f"Draft {SECRET}", "summary": SECRET, "body": f"Text {SECRET}", "sector_ids": [sector["id"]]})

paths = ["all", "essays", "analyses", "blog-posts", "news-links"]
for scope in ("sectors", "tags", "editors", "blogs", "questions"):
    first = json.loads(fetch(f"/api/v1/{scope}?limit=1")[2])
    if first:
        paths.append(f"{scope}/{first[0]['slug']}")
paths.append(f"sectors/{sector['slug']}")

for path in paths:
    for extension in ("rss", "atom", "json"):
        url = f"/feeds/{path}.{extension}"
        status, headers, body = fetch(url)
        headers = {k.lower(): v for k, v in headers.items()}
        check(status == 200, f"{url}: {status}")
        check(SECRET not in body.decode("utf-8"), f"{url} shows a draft")
        if extension == "json":
            check_json_feed(url, json.loads(body))
            continue
        parsed = feedparser.parse(body)
        check(not parsed.bozo, f"{url}: bozo {parsed.get('bozo_exception')}")
        check(bool(parsed.feed.get("title")), f"{url}: no title")
        for entry in parsed.entries:
            check(entry.get("id", "").startswith("urn:uuid:"), f"{url}: entry id {entry.get('id')}")
            check(bool(entry.get("title")) and bool(entry.get("link")), f"{url}: entry title or link")
            check(entry.get("published_parsed") is not None, f"{url}: entry date")
        # Revalidation with the validators answers 304.
        try:
            fetch(url, {"If-None-Match": headers["etag"]})
            check(False, f"{url}: If-None-Match did not answer 304")
        except urllib.error.HTTPError as e:
            check(e.code == 304, f"{url}: If-None-Match answered {e.code}")

for query in (SECRET, f"{SECRET}*", f'"draft {SECRET}"'):
    q = urllib.parse.quote(query)
    status, _, body = fetch(f"/api/v1/search?q={q}")
    check(json.loads(body) == [], f"anonymous search for {query} finds a draft")

if failures:
    print("\n".join(f"feeds_check: {f}" for f in failures), file=sys.stderr)
    sys.exit(1)
print(f"feeds_check: {len(paths) * 3} feeds parsed, drafts hidden")
