#!/usr/bin/env bash
# Property-based conformance test of a running server against its own
# OpenAPI document, with schemathesis (pinned in
# requirements-schemathesis.txt, installed from PyPI into a cached venv).
#
#   tests/clients/schemathesis.sh BASE_URL [ADMIN_TOKEN]
#
# BASE_URL is the server's origin, e.g. http://127.0.0.1:8080 (the document
# is read from BASE_URL/openapi.json). The served document is first checked
# with openapi-spec-validator. Then, when ADMIN_TOKEN (an admin's access
# token or API key) is given, schemathesis runs with
# `Authorization: Bearer ADMIN_TOKEN` (first, while the token is fresh), and
# then anonymously. Both runs use the checks not_a_server_error,
# status_code_conformance, content_type_conformance,
# response_schema_conformance and response_headers_conformance, a fixed seed
# and a bounded number of examples. The admin run creates, changes and
# deletes data: point it only at a throwaway database.
#
# Excluded from the admin run: POST /api/v1/auth/logout and /auth/logout-all
# (they revoke ADMIN_TOKEN, after which every other operation answers 401)
# and POST /api/v1/auth/login (the anonymous run covers it; it is throttled
# per account, 429 after 10 failures a minute, which is documented). The
# token must be valid before the admin run and still valid after it (GET
# /api/v1/me answers 200): a run whose session ended midway tested little
# but 401s, and counts as failed. An access token must outlive the admin run
# (about 7 min on a debug build, more on PostgreSQL): start the server with
# OU_ACCESS_TOKEN_SECONDS=3600 or more (the default, 900 s, is tight), or
# pass an admin API key.
#
# Exits non-zero when the document is invalid or either run finds a failure
# (or errors); every run is attempted even after an earlier one failed. The
# last line counts the steps (document check, token checks, each run) as
# `schemathesis: N passed, N failed`.
#
# Environment (all optional):
#   ST_MAX_EXAMPLES  examples per operation in the fuzzing phase (default 30)
#   ST_SEED          hypothesis seed (default 1)
#   ST_WORKERS       concurrent workers (default 1: reproducible order, and
#                    schemathesis 4.32.5 errors with 2)
#   ST_PHASES        phases to run (default examples,coverage,fuzzing,stateful;
#                    coverage is ~80% of the time and ignores ST_MAX_EXAMPLES)
#   ST_REPORT_DIR    where the reports go, one folder per run
#                    (default ${TMPDIR:-/tmp}/ou-schemathesis-report)
#   ST_REPORTS       report formats (default junit; e.g. junit,ndjson,har)
#   ST_CACHE_DIR     venv location
#                    (default ${XDG_CACHE_HOME:-$HOME/.cache}/ou-schemathesis)
#   PYTHON           interpreter that creates the venv (default python3)
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || $1 == -h || $1 == --help ]]; then
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
  exit 2
fi

base_url=${1%/}
admin_token=${2:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
requirements=$here/requirements-schemathesis.txt

max_examples=${ST_MAX_EXAMPLES:-30}
seed=${ST_SEED:-1}
workers=${ST_WORKERS:-1}
phases=${ST_PHASES:-examples,coverage,fuzzing,stateful}
report_dir=${ST_REPORT_DIR:-${TMPDIR:-/tmp}/ou-schemathesis-report}
reports=${ST_REPORTS:-junit}
cache_dir=${ST_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ou-schemathesis}
venv=$cache_dir/venv
python=${PYTHON:-python3}

# (Re)build the venv when it is missing or was built from other pins; a
# lock keeps two concurrent invocations from building it at once.
mkdir -p "$cache_dir"
if command -v flock >/dev/null; then
  exec 9>"$cache_dir/.lock"
  flock 9
fi
if [[ ! -x $venv/bin/schemathesis ]] || ! cmp -s "$requirements" "$venv/.ou-requirements"; then
  echo "schemathesis.sh: installing $(grep -E '^[a-z]' "$requirements" | tr '\n' ' ')into $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/.ou-requirements"
fi
if command -v flock >/dev/null; then
  exec 9>&-
fi

mkdir -p "$report_dir"
# Schemathesis 4 signs up through POST /api/v1/users and logs in by itself
# when it can ("auto-signup"); that would make the anonymous run
# authenticated the day anonymous sign-up works, so it is off.
config=$report_dir/schemathesis.toml
cat >"$config" <<'TOML'
# Written by tests/clients/schemathesis.sh; passed with --config-file.
[auth]
auto-signup = false
TOML
passed=0
failed=0
step() { # step NAME OK
  if [[ $2 == 0 ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "schemathesis.sh: FAILED: $1" >&2; fi
}

# 1. The served document must be a valid OpenAPI document.
doc=$report_dir/openapi.json
"$venv/bin/python" - "$base_url/openapi.json" "$doc" <<'PY'
import sys, time, urllib.request
url, out = sys.argv[1], sys.argv[2]
for attempt in range(30):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            open(out, "wb").write(r.read())
        break
    except OSError as e:
        if attempt == 29:
            sys.exit(f"schemathesis.sh: cannot fetch {url}: {e}")
        time.sleep(1)
PY
echo "== openapi-spec-validator $base_url/openapi.json"
rc=0
"$venv/bin/openapi-spec-validator" "$doc" || rc=1
step "openapi-spec-validator" "$rc"

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance

run() {
  local name=$1
  shift
  echo "== schemathesis ($name run): seed $seed, max $max_examples examples, phases $phases"
  mkdir -p "$report_dir/$name"
  # The example database is off so that a run does not replay examples
  # from an earlier one: same seed, same pins, same requests.
  local rc=0
  (cd "$report_dir/$name" && "$venv/bin/schemathesis" --config-file "$config" run "$base_url/openapi.json" \
      --checks "$checks" \
      --max-examples "$max_examples" \
      --seed "$seed" \
      --workers "$workers" \
      --phases "$phases" \
      --generation-database none \
      --continue-on-failure \
      --no-color \
      --report "$reports" \
      --report-dir "$report_dir/$name" \
      "$@") || rc=1
  step "$name run (reports in $report_dir/$name)" "$rc"
}

# HTTP status of GET /api/v1/me with ADMIN_TOKEN.
me_status() {
  "$venv/bin/python" - "$base_url/api/v1/me" "$admin_token" <<'PY'
import sys, urllib.error, urllib.request
url, token = sys.argv[1], sys.argv[2]
req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
except OSError as e:
    print(f"unreachable ({e})")
PY
}

# Seconds until a JWT ADMIN_TOKEN expires ("" for an API key or no `exp`).
token_lifetime() {
  "$venv/bin/python" - "$admin_token" <<'PY'
import base64, json, sys, time
try:
    payload = sys.argv[1].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    print(int(claims["exp"] - time.time()))
except Exception:
    print("")
PY
}

# The admin run goes first, while the token is fresh (access tokens last
# 900 s by default and the two runs together take longer than that).
if [[ -n $admin_token ]]; then
  code=$(me_status)
  if [[ $code != 200 ]]; then
    echo "schemathesis.sh: GET /api/v1/me with ADMIN_TOKEN answers $code: not a valid token; admin run skipped" >&2
    step "admin run (ADMIN_TOKEN rejected)" 1
  else
    lifetime=$(token_lifetime)
    if [[ -n $lifetime && $lifetime -lt 900 ]]; then
      echo "schemathesis.sh: warning: ADMIN_TOKEN expires in ${lifetime}s and the admin run can take longer;" \
        "start the server with OU_ACCESS_TOKEN_SECONDS=3600 or more" >&2
    fi
    run admin \
      --header "Authorization: Bearer $admin_token" \
      --exclude-path /api/v1/auth/login \
      --exclude-path /api/v1/auth/logout \
      --exclude-path /api/v1/auth/logout-all
    code=$(me_status)
    echo "== ADMIN_TOKEN after the admin run: GET /api/v1/me answers $code"
    if [[ $code != 200 ]]; then
      echo "schemathesis.sh: the admin session ended (expired or revoked) during the admin run," \
        "so part of it tested only 401s" >&2
    fi
    step "admin token still valid after the admin run" "$([[ $code == 200 ]]; echo $?)"
  fi
fi

run anonymous

echo "schemathesis: $passed passed, $failed failed"
[[ $failed == 0 ]]
