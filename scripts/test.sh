#!/usr/bin/env bash
# The README's test command. On a fresh machine it first installs what the tests drive:
# Debian packages when missing (curl, Python, Chromium and its driver, SQLite's headers),
# and the Python packages into a virtual environment under .build/ (put first on PATH, so
# every `python3` the tests start is that one). Then `swift test` with the arguments given
# (`scripts/test.sh --filter CensusTests`). Nothing is skipped: what cannot be installed
# stops the run, naming it.
set -euo pipefail
cd "$(dirname "$0")/.."

python_packages=(requests openapi-spec-validator jsonschema referencing zxing-cpp numpy selenium schemathesis)
python_modules="requests, openapi_spec_validator, jsonschema, referencing, zxingcpp, numpy, selenium, schemathesis"
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
exec swift test "$@"
