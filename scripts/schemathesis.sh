#!/usr/bin/env bash
# schemathesis against every provider's OpenAPI document as the sandbox serves it
# (/_sandbox/openapi/{provider}.json), and the control plane's own (sandbox.json): all
# operations, with the default accounts' auth. ONLY="census sandbox" runs some of them.
# Checks: no 5xx (but for an inbox asked to answer one), status codes, content types and
# response bodies as documented, invalid data refused and valid data accepted (a warning that
# the server refuses most of what a document calls valid fails the run too);
# scripts/schemathesis_hooks.py supplies what a document cannot state (a record to refer to).
# Prints each provider's generated and passed cases; exits non-zero on any failure.
# Needs `pip install schemathesis`. .ci/run runs it with 3 examples per operation.
# Usage: [SEED=n] [ONLY="…"] [CHECKS=a,b] [FAILURE_LINES=n] scripts/schemathesis.sh BINARY [max examples per operation, default 25]
set -euo pipefail
bin=${1:?usage: scripts/schemathesis.sh BINARY [MAX_EXAMPLES]}
examples=${2:-25}
python3 -c 'import schemathesis' 2>/dev/null || { echo "needs schemathesis: pip install schemathesis"; exit 2; }
work=$(mktemp -d /tmp/paysandbox-schemathesis-XXXXXX)
scripts=$(cd "$(dirname "$0")" && pwd)  # schemathesis_hooks.py: the rules JSON Schema cannot state
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$bin" --port "$port" --host 127.0.0.1 --db :memory: --no-provider-ports --log-level error &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 200); do curl -fsS "$base/_sandbox/health" >/dev/null 2>&1 && break; sleep 0.05; done

# PayXToday's credentials are path parameters: pin them to reseller 1. The stateful phase
# follows the documents' links and Location headers, not links it guesses from field names: a
# guessed one feeds a null (a transaction's product_id) as a product's id, and schemathesis then
# counts the refusal of that schema-invalid call as valid data refused.
cat > "$work/schemathesis.toml" <<TOML
[parameters]
"path.id_reseller" = 1
"path.secret_key" = "sandbox-secret"

[warnings]
fail-on = ["validation_mismatch"]

[phases.stateful.inference]
algorithms = ["location-headers"]

# Valid data answered as documented: a verification that does not hold is 422 (docs/verification.md),
# the usual answer to a generated one (no warning that valid data is refused, then);
# an inbox answers the status it is asked for.
[[operations]]
include-name = "POST /verify"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429", "5xx"]
warnings = false

[[operations]]
include-path-regex = "^/inbox/"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "4xx", "5xx"]
TOML
json() { python3 -c "import json,sys;print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
checks=${CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection,positive_data_acceptance}
failed=()
# An inbox answers with the status it is asked for (?status=503 shows a provider's retries):
# its 5xx answers are the ones asked for, so its deliveries ("inbox") run without that check.
inbox=(--include-name "POST /inbox/{name}" --include-name "PUT /inbox/{name}" --include-name "PATCH /inbox/{name}")
# The control plane's own document last (its reset and faults would disturb the others).
for provider in ${ONLY:-projectcx paytomat census payxtoday alphacomm sandbox inbox}; do
  args=()
  document=$provider
  run_checks=$checks
  case $provider in
    sandbox) args=("${inbox[@]/--include-name/--exclude-name}") ;;
    inbox) document=sandbox; args=("${inbox[@]}"); run_checks=${checks#not_a_server_error,} ;;
    projectcx) args=(-H "Authorization: Bearer $(curl -fsS "$base/projectcx/rest2/login" -d '{"username":"sandbox","password":"sandbox-secret"}' | json auth_token)") ;;
    paytomat) args=(-H "Authorization: Basic $(printf sandbox:sandbox-secret | base64)") ;;
    alphacomm) args=(-H "Authorization: Bearer $(curl -fsS "$base/alphacomm/oauth/v2/token?client_id=sandbox&client_secret=sandbox-secret&grant_type=client_credentials" | json access_token)") ;;
  esac
  started=$(date +%s%N)
  if (cd "$work" && SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$scripts" python3 -m schemathesis.cli --config-file "$work/schemathesis.toml" run "$base/_sandbox/openapi/$document.json" --url "$base/$([ "$document" = sandbox ] && echo _sandbox || echo "$provider")" \
       -c "$run_checks" --max-examples "$examples" --seed "${SEED:-1}" --request-timeout 35 --max-redirects 0 "${args[@]}") >"$work/$provider.log" 2>&1; then
    result=passed
  else
    result=FAILED; failed+=("$provider")
  fi
  # A run whose every call was refused (credentials gone wrong) tested nothing: the journal
  # must show answered calls of the provider.
  if [ "$document" != sandbox ] && [ "$result" = passed ] && ! curl -fsS \
       "$base/_sandbox/requests?provider=$provider&status=2xx&limit=1" | grep -q '"id"'; then
    result=FAILED; failed+=("$provider (no call answered 2xx)")
  fi
  cases=$(grep -E "^ +[0-9]+ generated" "$work/$provider.log" | tail -1 | sed 's/^ *//')
  printf '%-10s %-7s %s (%d ms)\n' "$provider" "$result" "${cases:-no summary}" $(( ($(date +%s%N) - started) / 1000000 ))
  [ "$result" = passed ] || { sed -n "/= \(FAILURES\|ERRORS\|WARNINGS\) =/,\$p" "$work/$provider.log" | head -"${FAILURE_LINES:-80}" || true; }
done
[ ${#failed[@]} -eq 0 ] || { echo "schemathesis failed for: ${failed[*]}"; exit 1; }
