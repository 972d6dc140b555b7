#!/usr/bin/env bash
# Refresh core/static/vendor from the versions pinned in package.json (needs npm; the
# copied files are committed, so serving the app never needs npm or the network).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp package.json "$tmp/"
(cd "$tmp" && npm install --no-audit --no-fund --silent)
out=core/static/vendor
rm -rf "$out" && mkdir -p "$out/bootstrap" "$out/bootstrap-icons/fonts" "$out/htmx" "$out/chartjs"
nm="$tmp/node_modules"
cp "$nm/bootstrap/dist/css/bootstrap.min.css" "$nm/bootstrap/dist/js/bootstrap.bundle.min.js" "$out/bootstrap/"
cp "$nm/bootstrap/LICENSE" "$out/bootstrap/LICENSE"
cp "$nm/bootstrap-icons/font/bootstrap-icons.min.css" "$out/bootstrap-icons/"
cp "$nm/bootstrap-icons/font/fonts/"*.woff2 "$out/bootstrap-icons/fonts/"
cp "$nm/bootstrap-icons/LICENSE" "$out/bootstrap-icons/LICENSE"
cp "$nm/htmx.org/dist/htmx.min.js" "$nm/htmx.org/LICENSE" "$out/htmx/"
cp "$nm/chart.js/dist/chart.umd.min.js" "$nm/chart.js/LICENSE.md" "$out/chartjs/"
echo "vendored into $out"
