#!/usr/bin/env bash
# The README's test command. On a fresh machine it first installs what the tests drive:
# Debian packages when missing (curl, Python, Chromium and its driver, SQLite's headers, PHP
# with curl and PHPUnit, Ruby with RSpec), and the Python packages into a virtual environment
# under .build/ (put first on PATH, so every `python3` the tests start is that one). Then the
# three examples (examples/python, php, ruby), each through `paysandbox run --require-ready`,
# the docs' shell examples (scripts/docs-examples.py), and `swift test`. With arguments, only
# `swift test` with them (`scripts/test.sh --filter CensusTests`). Nothing is skipped: what cannot be installed stops the run, naming it.
set -euo pipefail
cd "$(dirname "$0")/.."

python_packages=(requests openapi-spec-validator jsonschema referencing zxing-cpp numpy selenium schemathesis pytest prometheus-client)
python_modules="requests, openapi_spec_validator, jsonschema, referencing, zxingcpp, numpy, selenium, schemathesis, pytest, prometheus_client"
venv=.build/test-venv

need=()
dpkg -s libsqlite3-dev >/dev/null 2>&1 || need+=(libsqlite3-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# Debian's python3 makes virtual environments only with python3-venv.
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then need+=(python3-venv); fi
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
# The examples: PHP with curl and PHPUnit, Ruby with RSpec.
command -v php >/dev/null 2>&1 || need+=(php-cli)
{ command -v php >/dev/null 2>&1 && php -r 'exit(function_exists("curl_init") ? 0 : 1);'; } || need+=(php-curl)
command -v phpunit >/dev/null 2>&1 || need+=(phpunit)
command -v ruby >/dev/null 2>&1 || need+=(ruby)
command -v rspec >/dev/null 2>&1 || need+=(ruby-rspec)
if [ ${#need[@]} -gt 0 ]; then
  echo "scripts/test.sh: installing ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"; }; then
    echo "scripts/test.sh: could not install ${need[*]}; install them (apt-get install ${need[*]}) and run again" >&2
    exit 1
  fi
fi

if [ ! -x "$venv/bin/python3" ]; then
  python3 -m venv "$venv" || { echo "scripts/test.sh: python3 -m venv $venv failed (apt-get install python3-venv)" >&2; exit 1; }
fi
if ! "$venv/bin/python3" -c "import $python_modules" >/dev/null 2>&1; then
  echo "scripts/test.sh: installing ${python_packages[*]} into $venv"
  if ! "$venv/bin/python3" -m pip install -q --disable-pip-version-check "${python_packages[@]}"; then
    echo "scripts/test.sh: pip could not install ${python_packages[*]} into $venv" >&2
    exit 1
  fi
fi
PATH="$PWD/$venv/bin:$PATH"
export PATH
if [ $# -gt 0 ]; then
  exec swift test "$@"
fi

# The examples, as their READMEs run them; a failing one fails the run, after swift test.
swift build --product paysandbox
paysandbox="$(swift build --show-bin-path)/paysandbox"
failed=()
for example in "python:python3 -m pytest -q" "php:phpunit tests" "ruby:rspec"; do
  name=${example%%:*}
  echo "scripts/test.sh: examples/$name"
  (cd "examples/$name" && "$paysandbox" run --require-ready -- ${example#*:}) || failed+=("examples/$name")
done
# The docs' shell examples, pasted in order against a fresh sandbox (scripts/docs-examples.py).
python3 scripts/docs-examples.py "$paysandbox" || failed+=("the docs' examples")
status=0
swift test || status=$?
if [ ${#failed[@]} -gt 0 ]; then
  echo "scripts/test.sh: failed: ${failed[*]}" >&2
  exit 1
fi
exit $status
