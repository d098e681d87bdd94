#!/usr/bin/env bash
# Installs every Debian package the build, tests and benchmarks use, and the front ends'
# npm packages. Idempotent: quiet when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(build-essential cmake ninja-build ccache pkg-config libboost-dev libsqlite3-dev sqlite3
      libsodium-dev libqrencode-dev libfmt-dev libspdlog-dev libcli11-dev nlohmann-json3-dev
      libgtest-dev libgmock-dev libbenchmark-dev libjemalloc-dev wrk curl jq
      postgresql-15 postgresql-client-15 libpq-dev libvips-dev)
if [ "${XIAODIAN_BROWSER:-1}" = 1 ]; then pkgs+=(chromium fonts-wqy-microhei nodejs npm); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# nodejs/npm may come from outside Debian's packages (e.g. a preinstalled node); accept them.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
real=()
for p in "${missing[@]}"; do [ -n "$p" ] && real+=("$p"); done
if [ "${#real[@]}" -gt 0 ]; then
  echo "deps: installing ${real[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${real[@]}" >/dev/null
fi

# Front ends: npm ci only when the lock file changed since the last install.
for app in web/shop web/console web/e2e; do
  [ -f "$app/package-lock.json" ] || continue
  stamp="$app/node_modules/.xiaodian-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$app/package-lock.json" "$stamp"; then
    echo "deps: npm ci in $app"
    (cd "$app" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$app/package-lock.json" "$stamp"
  fi
done
