#!/usr/bin/env bash
# Builds the two front ends (web/shop, web/console) with Vite into their dist/ folders and
# writes a .gz twin of every text asset, which the server sends to gzip-capable clients.
# Dependencies were installed by scripts/deps.sh (npm ci from the committed lock files).
set -euo pipefail
cd "$(dirname "$0")/.."
for app in web/shop web/console; do
  [ -f "$app/package.json" ] || continue
  stamp="$app/dist/.xiaodian-build"
  # The app's own files and web/common (both apps import it: a change there rebuilds both).
  newest=$(find "$app" web/common -path "$app/node_modules" -prune -o -path "web/common/node_modules" -prune \
    -o -path "$app/dist" -prune -o -type f -newer "$stamp" -print 2>/dev/null | head -1 || true)
  if [ -f "$stamp" ] && [ -z "$newest" ]; then continue; fi
  echo "web: building $app"
  (cd "$app" && npm run build --silent >/dev/null)
  find "$app/dist" -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' -o -name '*.json' \) \
    -exec gzip -9 -k -f {} \;
  touch "$stamp"
done
