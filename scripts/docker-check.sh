#!/usr/bin/env bash
# What can be proven of docker/Dockerfile without a Docker engine (none runs on these
# machines), read from the Dockerfile itself so that the proof follows it:
#  1. the build stage's context is laid out exactly as its COPY lines say (sources taken
#     through .dockerignore's eyes: only tracked files), and its `swift build` RUN line runs
#     there verbatim (/out moved to a temporary folder), with the build stage's packages;
#  2. every shared library the binary needs (ELF NEEDED) comes from a package the runtime
#     stage installs, or from the base image's libc6 / libgcc-s1;
#  3. the runtime stage's files alone (/app) run as a non-root system user, with the
#     Dockerfile's ENV (PAYSANDBOX_HOST=0.0.0.0, the database in a fresh folder for /data),
#     and the HEALTHCHECK's command answers (its port moved to a free one).
# Not proven here: the base images (swift:*-bookworm, debian:bookworm-slim) and the engine.
# Usage: scripts/docker-check.sh   (as root, or with sudo for the packages and the user)
set -euo pipefail
cd "$(dirname "$0")/.."
dockerfile=docker/Dockerfile
work=$(mktemp -d /tmp/paysandbox-docker-XXXXXX)
chmod 755 "$work"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "docker-check: $*" >&2; exit 1; }
trap 'echo "docker-check: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo -n"

# The Dockerfile with continuation lines joined, split at its second FROM.
joined=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$dockerfile")
build_stage=$(awk '/^FROM /{n++} n==1' <<<"$joined")
run_stage=$(awk '/^FROM /{n++} n==2' <<<"$joined")
packages() { grep -o 'apt-get install [^&]*' <<<"$1" | tr ' ' '\n' | grep -v -e '^-' -e '^apt-get$' -e '^install$' -e '^$'; }

# 1. The build stage.
missing=()
for p in $(packages "$build_stage"); do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "docker-check: installing the build stage's ${missing[*]}"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
ctx=$work/src
mkdir -p "$ctx"
while read -r _ src dst; do
  dst=${dst#./}
  dst=${dst%/}
  if [ -d "$src" ]; then
    # Tracked files only: what .dockerignore leaves of a clean checkout.
    git ls-files -z -- "$src" | while IFS= read -r -d '' f; do
      target="$ctx/${dst:+$dst/}${f#"$src"/}"
      mkdir -p "$(dirname "$target")"
      cp "$f" "$target"
    done
  else
    mkdir -p "$ctx/$dst"
    cp "$src" "$ctx/${dst:+$dst/}$(basename "$src")"
  fi
done < <(grep -E '^COPY ' <<<"$build_stage" | grep -v -- '--from')
echo "docker-check: build context laid out from the COPY lines: $(cd "$ctx" && ls | tr '\n' ' ')"
run_build=$(grep -E '^RUN .*swift build' <<<"$build_stage" | sed 's/^RUN //')
[ -n "$run_build" ] || fail "no RUN line with swift build in the build stage"
out=$work/out
echo "docker-check: in the context: ${run_build//\/out/$out}"
started=$(date +%s)
(cd "$ctx" && bash -c "${run_build//\/out/$out}") > "$work/build.log" 2>&1 || { tail -30 "$work/build.log"; fail "the build stage's RUN failed"; }
echo "docker-check: release build in $(( $(date +%s) - started )) s: $(ls "$out" | tr '\n' ' ')"
[ -x "$out/paysandbox" ] || fail "the build stage made no /out/paysandbox"
ls -d "$out"/*.resources >/dev/null 2>&1 || fail "the build stage copied no *.resources folder (Bundle.module traps without it)"

# 2. Shared libraries: each NEEDED one from a runtime package (or the base image's libc/libgcc).
runtime_packages=$(packages "$run_stage")
for lib in $(objdump -p "$out/paysandbox" | awk '/NEEDED/{print $2}'); do
  # (awk reads all of it: an early exit would SIGPIPE ldconfig and fail the pipeline)
  path=$(ldconfig -p | awk -v l="$lib" '$1==l && !found {print $NF; found=1}')
  [ -n "$path" ] || fail "$lib (needed by the binary) is not on this machine"
  pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | awk -F: 'NR==1{print $1}') || pkg=""
  [ -n "$pkg" ] || pkg=$(dpkg -S "$path" 2>/dev/null | awk -F: 'NR==1{print $1}') || pkg=""
  case " libc6 libgcc-s1 $(echo $runtime_packages) " in
    *" $pkg "*) echo "docker-check: $lib from $pkg" ;;
    *) fail "$lib comes from $pkg, which the runtime stage does not install (it installs: $(echo $runtime_packages))" ;;
  esac
done

# 3. The runtime stage: its files only, a non-root user, its ENV, its health check.
app=$work/app data=$work/data
mkdir -p "$app" "$data"
cp -R "$out"/. "$app"/
user=$(grep -o 'useradd [^&]*' <<<"$run_stage" | awk '{print $NF}')
user=${user:-paysandbox}
if ! id "$user" >/dev/null 2>&1; then
  $sudo useradd --system --home "$data" "$user" || fail "could not add the system user $user"
fi
$sudo chown "$user" "$data"
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
envs=()
for assignment in $(grep -E '^ENV ' <<<"$run_stage" | sed 's/^ENV //'); do envs+=("${assignment//\/data/$data}"); done
echo "docker-check: as $user: ${envs[*]} PAYSANDBOX_PORT=$port $app/paysandbox"
$sudo runuser -u "$user" -- env -i PATH=/usr/bin:/bin "${envs[@]}" PAYSANDBOX_PORT="$port" PAYSANDBOX_NO_PROVIDER_PORTS=1 \
  "$app/paysandbox" > "$work/run.log" 2>&1 &
pid=$!
health=$(grep -E '^HEALTHCHECK ' <<<"$run_stage" | sed 's/.* CMD //')
health=${health//:8080/:$port}
for _ in $(seq 100); do
  if bash -c "$health" >/dev/null 2>&1; then
    answer=$(bash -c "${health% || exit 1}")
    grep -q '"status":"ok"' <<<"$answer" || fail "the health check answered without status ok: $answer"
    [ -f "$data/paysandbox.sqlite" ] || fail "no database in the /data folder"
    owner=$(stat -c %U "$data/paysandbox.sqlite")
    [ "$owner" = "$user" ] || fail "the database belongs to $owner, not $user"
    echo "docker-check: health check ($health) answered: $answer"
    echo "docker-check: passed"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || { cat "$work/run.log"; fail "the binary stopped"; }
  sleep 0.1
done
cat "$work/run.log"
fail "the health check did not answer in 10 s"
