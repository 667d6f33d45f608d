#!/usr/bin/env bash
# make interop: the contract and the suite's verdicts, checked by OpenAPI tools we did not write
# (Stoplight Spectral and Prism, pinned in package-lock.json beside this script).
#
#   1. Spectral lints spec/openapi.yaml with spec/.spectral.yaml; any finding fails.
#   2. Prism mocks spec/openapi.yaml from its examples; the suite runs against the mock, and the
#      verdict of every case must be the one prism-mock.golden records.
#   3. Prism proxies the reference server, validating every exchange; the suite runs through it,
#      its verdicts must be the ones prism-proxy.golden records, and Prism must report no violation
#      on any response the suite judged conformant.
#   4. The same proxy in front of the independent server with one schema violation switched on:
#      Prism must flag responses, and the suite must fail every case whose response Prism flagged,
#      so that step 3 is known to read Prism's verdicts.
#
# Everything listens on 127.0.0.1 on ports the kernel picks, every wait is bounded, and every
# process started here is ended on exit. UPDATE_GOLDEN=1 rewrites the golden files instead of
# comparing (review the diff, and explain new verdicts in their notes).
# Exit codes: 0 every check holds, 1 a check failed, 2 the checks could not be made.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$root/.interop
cd "$root"

# Only loopback is ever a target; no proxy may sit in between.
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
# Install scripts are off (--ignore-scripts); this also silences the analytics package that
# Spectral depends on, should anything load it.
export SCARF_ANALYTICS=false DO_NOT_TRACK=1

# A fixed token for the runs: not a secret, but passed through the environment all the same.
export CONFORMANCE_TOKEN=Interop-Check-Token
readonly SEED=1
readonly READY_SECONDS=60  # Prism starts in about 2 s; a cold machine gets a wide margin
readonly RUN_SECONDS=180   # one suite run takes seconds; this only bounds a hang

fail() { echo "interop: $*" >&2; exit 2; }

command -v node >/dev/null || fail "node is needed (Node.js 20.17 or later)"
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 17) ? 0 : 1)' ||
  fail "Node.js 20.17 or later is needed, this is $(node --version)"
command -v npm >/dev/null || fail "npm is needed"

pids=()
# cleanup ends every process group started here: TERM first, KILL for what is left after 5 s.
cleanup() {
  local pid deadline=$((SECONDS + 5))
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    while kill -0 -- "-$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start LOG CMD...: runs CMD in a session (and process group) of its own, so cleanup can end it
# with any child; its pid is the group's id and is left in $started.
start() {
  local log=$1
  shift
  # Emptied here, not by the background job's redirection: that one may run after wait_for has
  # already read the line it waits for in the log an earlier run left.
  : >"$log"
  setsid "$@" >>"$log" 2>&1 </dev/null &
  started=$!
  pids+=("$started")
}

# wait_for NAME LOG PATTERN: waits, at most READY_SECONDS, for a line matching PATTERN.
wait_for() {
  local name=$1 log=$2 pattern=$3 deadline=$((SECONDS + READY_SECONDS))
  until grep -qE "$pattern" "$log" 2>/dev/null; do
    if ! kill -0 "$started" 2>/dev/null; then
      echo "interop: $name exited before it was ready:" >&2
      tail -n 20 "$log" >&2
      exit 2
    fi
    if ((SECONDS >= deadline)); then
      echo "interop: $name not ready after $READY_SECONDS s:" >&2
      tail -n 20 "$log" >&2
      exit 2
    fi
    sleep 0.2
  done
}

# start_prism NAME LOG ARGS...: a Prism server on a free loopback port; its URL goes to $prism_url.
start_prism() {
  local name=$1 log=$2
  shift 2
  start "$log" "$work/node_modules/.bin/prism" "$@" --host 127.0.0.1 --port 0
  wait_for "$name" "$log" 'Prism is listening on http://'
  prism_url=$(sed -n 's|.*Prism is listening on \(http://[0-9.:]*\).*|\1|p' "$log" | head -n 1)
}

# suite NAME REPORT RUNNER-FLAGS...: one run of the whole suite. Exit 0 or 1 is a verdict; 2 (or a
# time-out) means the run could not be made.
suite() {
  local name=$1 report=$2 code=0
  shift 2
  rm -f "$report" # a report left by an earlier run must never be judged
  timeout "$RUN_SECONDS" "$work/bin/runner" --seed "$SEED" --quiet --json "$report" "$@" >"$work/$name.txt" 2>&1 || code=$?
  if ((code > 1)); then
    echo "interop: the suite could not run against $name (exit $code):" >&2
    tail -n 20 "$work/$name.txt" >&2
    exit 2
  fi
  echo "  suite against $name: $(tail -n 1 "$work/$name.txt")"
}

# expect_refused RUNNER-FLAGS...: the run must end in the preflight, exit 2, saying the foreign id
# is the token's own company's; returns 1 otherwise, so that check counts it as failed.
expect_refused() {
  local code=0 out="$work/expect-refused.txt"
  timeout "$RUN_SECONDS" "$work/bin/runner" --seed "$SEED" --quiet "$@" >"$out" 2>&1 || code=$?
  if ((code == 2)) && grep -q '^runner: preflight: --foreign-contact-id .* is not a contact of another company' "$out"; then
    return 0
  fi
  echo "  expected the preflight to refuse the foreign id (exit 2), got exit $code:" >&2
  tail -n 5 "$out" >&2
  return 1
}

passed=0
failed=0
# check NAME CMD...: one check of the summary; a failing check does not stop the others.
check() {
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    local code=$?
    ((code == 1)) || exit 2
    failed=$((failed + 1))
    echo "FAIL  $name"
  fi
}

golden() {
  if [[ "${UPDATE_GOLDEN:-}" == 1 ]]; then
    node "$here/verdicts.js" golden "$1" "$2" --update
  else
    node "$here/verdicts.js" golden "$1" "$2"
  fi
}

echo "== verdicts.js, the part that decides"
check "verdicts.js tests" node --test --test-reporter=dot "$here/verdicts.test.js"

echo "== installing the pinned tools into .interop/"
mkdir -p "$work/bin"
if cmp -s "$here/package-lock.json" "$work/package-lock.json" && [[ -f "$work/node_modules/.package-lock.json" ]]; then
  echo "  already installed"
else
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  # --ignore-scripts: no install script runs (the only one in the tree is an analytics ping).
  timeout 600 npm ci --prefix "$work" --ignore-scripts --no-audit --no-fund --loglevel=error ||
    fail "npm ci of testdata/interop/package-lock.json failed"
fi
echo "  spectral $("$work/node_modules/.bin/spectral" --version), prism $("$work/node_modules/.bin/prism" --version)"
"${GO:-go}" build -o "$work/bin/runner" ./runner/cmd/contacts-conformance || fail "cannot build the runner"

echo "== Spectral: spec/openapi.yaml against spec/.spectral.yaml"
check "spectral lint" timeout "$RUN_SECONDS" "$work/node_modules/.bin/spectral" lint \
  --ruleset spec/.spectral.yaml --fail-severity hint spec/openapi.yaml

echo "== Prism as a mock of spec/openapi.yaml"
start_prism "the Prism mock" "$work/prism-mock.log" mock spec/openapi.yaml
# A contact id unlike the one in the document's example: the mock answers with the example
# whatever the id, and the suite must notice that it is not the contact asked for. No foreign
# contact id: the mock answers any id with the same example, of the same company, and the
# preflight rightly refuses such an id as "not a contact of another company" (a check of its own
# below); the foreign case is skipped instead.
suite prism-mock "$work/prism-mock.json" --base-url "$prism_url" \
  --contact-id 11111111-1111-4111-8111-111111111111
check "the preflight refuses a foreign id the mock answers as the token's own" expect_refused \
  --base-url "$prism_url" --contact-id 11111111-1111-4111-8111-111111111111 --foreign-contact-id 22222222-2222-4222-8222-222222222222
check "the Prism mock's verdicts" golden "$work/prism-mock.json" "$here/prism-mock.golden"

echo "== Prism as a validating proxy in front of the reference server"
start "$work/refserver.log" "$work/bin/runner" serve --addr 127.0.0.1:0 --token "$CONFORMANCE_TOKEN"
wait_for "the reference server" "$work/refserver.log" '^  foreign contact id: '
ref_url=$(sed -n 's/^reference server listening on //p' "$work/refserver.log")
contact=$(sed -n 's/^  contact id: *//p' "$work/refserver.log")
foreign=$(sed -n 's/^  foreign contact id: *//p' "$work/refserver.log")
start_prism "the Prism proxy" "$work/prism-proxy.log" proxy spec/openapi.yaml "$ref_url"
suite prism-proxy "$work/prism-proxy.json" --base-url "$prism_url" --contact-id "$contact" --foreign-contact-id "$foreign"
check "the verdicts through the Prism proxy" golden "$work/prism-proxy.json" "$here/prism-proxy.golden"
check "no Prism violation on a conformant response" node "$here/verdicts.js" clean-responses "$work/prism-proxy.json"

echo "== the same proxy in front of the independent server serving a wrongly typed field"
start "$work/independent.log" node testdata/independent-server/server.js --violation wrong-type
wait_for "the independent server" "$work/independent.log" '^\{"url"'
read -r indep_url indep_token indep_contact indep_foreign < <(node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]);
  console.log(s.url, s.token, s.contact_id, s.foreign_contact_id)' "$work/independent.log") ||
  fail "the independent server's first line is not its JSON description"
start_prism "the second Prism proxy" "$work/prism-proxy-faulty.log" proxy spec/openapi.yaml "$indep_url"
CONFORMANCE_TOKEN=$indep_token suite prism-proxy-faulty "$work/prism-proxy-faulty.json" \
  --base-url "$prism_url" --contact-id "$indep_contact" --foreign-contact-id "$indep_foreign"
check "the suite fails what Prism flags" node "$here/verdicts.js" flagged-responses-fail "$work/prism-proxy-faulty.json"

echo "interop: $passed passed, $failed failed"
((failed == 0)) || exit 1
