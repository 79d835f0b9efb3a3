#!/usr/bin/env bash
# Packs the npm packages the way they would be published and installs them into an empty
# project, with no network:
#   1. `npm pack` the root package (llminit) and a copy of npm/linux-x64-gnu/ holding the
#      built llminit.linux-x64-gnu.node (llminit-linux-x64-gnu);
#   2. checks the root tarball's contents (no tests, crates, target/, .node files, source maps);
#   3. installs both tarballs into an empty project in a temp dir, offline: the runtime
#      dependencies come from the npm cache that `npm ci` filled;
#   4. runs the installed CLI (--help, train --help, one MF epoch on ml-100k with --json).
# Run from anywhere after `npm run build` (CI runs it after `npm ci`). Any failure exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

export npm_config_offline=true
export npm_config_audit=false
export npm_config_fund=false
export npm_config_update_notifier=false
# The loader may only accept a platform package of its own version.
export NAPI_RS_ENFORCE_VERSION_CHECK=1

fail() { echo "pack-check: FAIL: $*" >&2; exit 1; }
say() { echo "pack-check: $*"; }
trap 'echo "pack-check: FAIL: command at line $LINENO exited non-zero" >&2' ERR

binary=llminit.linux-x64-gnu.node
platform_dir=npm/linux-x64-gnu
data="$(cd "$root/.." && pwd)/shared/data/ml-100k"

[ -f "$binary" ] || fail "$binary is missing: run 'npm run build' first"
[ -f dist/index.js ] && [ -f dist/cli/index.js ] || fail "dist/ is missing: run 'npm run build' first"
[ -f index.js ] && [ -f index.d.ts ] || fail "index.js / index.d.ts (the generated loader) are missing"
[ -d "$data" ] || fail "dataset not found: $data"

# Compiled files whose source is gone would ship too (files: dist/**/*.js): refuse them.
stale=$(cd dist && find . -name '*.js' -o -name '*.d.ts' | sed -e 's/\.d\.ts$//' -e 's/\.js$//' | sort -u |
  while read -r f; do [ -f "../src/$f.ts" ] || echo "dist/${f#./}"; done)
[ -z "$stale" ] || fail "dist/ holds output with no source in src/ (rebuild dist from clean): $stale"

root_version=$(node -p "require('./package.json').version")
platform_version=$(node -p "require('./$platform_dir/package.json').version")
[ "$root_version" = "$platform_version" ] ||
  fail "version mismatch: llminit $root_version, $platform_dir $platform_version"

work=$(mktemp -d "${TMPDIR:-/tmp}/llminit-pack-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tarballs" "$work/platform" "$work/app"

# --- pack ------------------------------------------------------------------------------------
# --ignore-scripts: `npm pack` would otherwise run `prepare` (a full rebuild); this checks what
# `npm run build` already produced.
say "npm pack (llminit)"
npm pack --offline --ignore-scripts --json --pack-destination "$work/tarballs" >"$work/root-pack.json"
say "npm pack (llminit-linux-x64-gnu)"
cp -R "$platform_dir/." "$work/platform/"
cp "$binary" "$work/platform/"
(cd "$work/platform" && npm pack --offline --ignore-scripts --json --pack-destination "$work/tarballs") >"$work/platform-pack.json"

root_tgz="$work/tarballs/$(node -p "require('$work/root-pack.json')[0].filename")"
platform_tgz="$work/tarballs/$(node -p "require('$work/platform-pack.json')[0].filename")"
[ -f "$root_tgz" ] || fail "root tarball not written: $root_tgz"
[ -f "$platform_tgz" ] || fail "platform tarball not written: $platform_tgz"

# Sizes and a one-line summary of each tarball.
summary() {
  node -e '
    const [p] = require(process.argv[1]);
    const kb = (n) => (n / 1024).toFixed(1) + " kB";
    const top = [...new Set(p.files.map((f) => f.path.includes("/") ? f.path.split("/")[0] + "/" : f.path))].sort();
    console.log(`pack-check: ${p.filename}: ${kb(p.size)} packed, ${kb(p.unpackedSize)} unpacked, ${p.entryCount} files: ${top.join(" ")}`);
  ' "$1"
}
summary "$work/root-pack.json"
summary "$work/platform-pack.json"

# --- contents --------------------------------------------------------------------------------
root_files=$(tar -tzf "$root_tgz" | sed 's#^package/##')
forbidden=$(grep -E '(^|/)(__test__|crates|target|node_modules|benchmark|fixtures|src)/|\.node$|\.map$|\.tgz$' <<<"$root_files" || true)
[ -z "$forbidden" ] || fail "root tarball holds files it must not: $forbidden"
for need in package.json README.md LICENSE index.js index.d.ts bin/llminit.js dist/index.js dist/index.d.ts dist/cli/index.js; do
  grep -qxF "$need" <<<"$root_files" || fail "root tarball lacks $need"
done
platform_files=$(tar -tzf "$platform_tgz" | sed 's#^package/##' | sort | tr '\n' ' ')
[ "$platform_files" = "README.md $binary package.json " ] ||
  fail "platform tarball contents unexpected: $platform_files"

# --- install into an empty project -----------------------------------------------------------
# Fully offline: apache-arrow, cli-progress, commander, csv-parse and parquet-wasm (and what they
# depend on) must already be in the npm cache, which `npm ci` filled.
cd "$work/app"
printf '{ "name": "llminit-pack-check", "version": "0.0.0", "private": true, "type": "module" }\n' >package.json
say "npm install --offline (both tarballs)"
npm install --offline --no-audit --no-fund "$root_tgz" "$platform_tgz"
[ -d node_modules/llminit-linux-x64-gnu ] || fail "llminit-linux-x64-gnu was not installed"
[ ! -e node_modules/llminit/$binary ] || fail "a .node file sits in the installed llminit package"

# --- run the installed package ---------------------------------------------------------------
say "npx llminit --help"
npx --offline --no-install llminit --help >help.txt || fail "llminit --help exited non-zero"
grep -q train help.txt || fail "llminit --help does not mention the train command"
say "npx llminit train --help"
npx --offline --no-install llminit train --help >train-help.txt || fail "llminit train --help exited non-zero"
grep -q -- --data train-help.txt || fail "llminit train --help does not list --data"

say "import from the installed package (exports map, native binding from llminit-linux-x64-gnu)"
node --input-type=module -e '
  import { createRequire } from "node:module";
  const lib = await import("llminit");
  if (Object.keys(lib).length === 0) throw new Error("llminit exports nothing");
  const require = createRequire(import.meta.url);
  require("llminit/package.json");
  const addon = Object.keys(require.cache).find((k) => k.endsWith(".node"));
  if (!addon || !addon.includes("/node_modules/llminit-linux-x64-gnu/"))
    throw new Error(`native addon not loaded from llminit-linux-x64-gnu: ${addon}`);
  console.log(`pack-check: import ok (${Object.keys(lib).length} exports), addon from ${addon}`);
'

say "npx llminit train --data $data --model mf --epochs 1 --dim 8 --json"
npx --offline --no-install llminit train --data "$data" --model mf --epochs 1 --dim 8 --json >report.json ||
  fail "llminit train exited non-zero"
node -e '
  const fs = require("fs");
  let r;
  try { r = JSON.parse(fs.readFileSync("report.json", "utf8")); }
  catch (e) { console.error("pack-check: train --json did not print one JSON document: " + e.message); process.exit(1); }
  if (r === null || typeof r !== "object" || !("test" in r) || r.test == null) {
    console.error("pack-check: the report has no \"test\" entry; keys: " + Object.keys(r ?? {}).join(", "));
    process.exit(1);
  }
  const t = typeof r.test === "object" ? JSON.stringify(r.test).slice(0, 160) : String(r.test);
  console.log("pack-check: train ok, test = " + t);
' || fail "train --json report check"

say "OK"
