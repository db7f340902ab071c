#!/usr/bin/env bash
# Installs what the build and the tests need on Debian 12 (only what is missing), the pinned npm
# packages of the interop tests, then configures and builds.
#   tools/setup.sh [--build-dir DIR] [--sanitize] [--no-build]
# Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir="$root/build"
sanitize=OFF
do_build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --sanitize) sanitize=ON; shift ;;
    --no-build) do_build=0; shift ;;
    *) echo "setup.sh: unknown option '$1' (expected --build-dir DIR, --sanitize, --no-build)" >&2; exit 2 ;;
  esac
done

step_start=0
step() { step_start=$(date +%s); printf '[setup] %s ...\n' "$1"; }
done_step() { printf '[setup]   %s (%ss)\n' "$1" $(( $(date +%s) - step_start )); }

# 1. Debian packages.
packages=(g++ cmake ninja-build pkg-config ccache libboost1.81-dev libssl-dev libsimdjson-dev
  libzstd-dev zstd zlib1g-dev libtbb-dev libgtest-dev libgmock-dev libbenchmark-dev curl ca-certificates openssl
  gnuplot-nox time)  # the last two: bench/report's plots, bench/run.sh's peak RSS (/usr/bin/time -v)
step "Debian packages"
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  echo "[setup]   installing: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  done_step "installed ${#missing[@]} package(s)"
else
  done_step "all ${#packages[@]} present"
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "[setup] Node $node_major found; the interop tests need Node >= 20 (@vercel/cosmosdb-server 1.0.1)" >&2
  exit 3
fi

# 2. Pinned npm packages (package-lock.json) into node_modules/, which git ignores.
step "npm packages"
stamp="$root/node_modules/.idabus-lock.sha256"
want=$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  done_step "up to date"
else
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" > "$stamp"
  done_step "installed from package-lock.json"
fi

# 3. Configure and build. ccache sees paths relative to the checkout (and ignores the working
# directory), so another clone of the repository on this machine reuses the same cache entries.
[ "$do_build" -eq 1 ] || exit 0
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
step "configure $build_dir"
extra=()
[ "$sanitize" = ON ] && extra+=(-DIDABUS_BUILD_BENCH=OFF)
cmake -S "$root" -B "$build_dir" -G Ninja -DIDABUS_SANITIZE="$sanitize" "${extra[@]}" >/dev/null
done_step "configured"
step "build $build_dir"
cmake --build "$build_dir" --parallel "$(nproc)"
done_step "built"
