#!/usr/bin/env bash
# Packs the npm packages the way they would be published and installs them into an empty
# project, with no network:
#   1. `npm pack` the root package (llminit) and a copy of npm/linux-x64-gnu/ holding the
#      built llminit.linux-x64-gnu.node (llminit-linux-x64-gnu);
#   2. checks the root tarball's contents (no tests, crates, target/, .node files, source maps);
#   3. installs both tarballs into an empty project in a temp dir, offline, without the optional
#      local-embedding dependency (--omit optional): the runtime dependencies come from the npm
#      cache that `npm ci` filled;
#   4. runs the installed CLI (--help, train --help, one MF epoch on ml-100k with --json), imports
#      the package (ESM, and CommonJS through require() where Node has require(esm));
#   5. installs the root tarball alone (no platform package) into a second project and checks
#      that the CLI and the import fail with the message naming the platform (linux-x64-gnu).
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
say "npm install --offline --omit optional (both tarballs)"
npm install --offline --no-audit --no-fund --omit optional "$root_tgz" "$platform_tgz"
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

# require(esm): Node >= 20.19 and >= 22.12 load the ES module through the "default" export.
if node -e 'process.exit(typeof process.features.require_module === "boolean" && process.features.require_module ? 0 : 1)'; then
  say "require('llminit') (CommonJS)"
  node -e 'const lib = require("llminit"); if (typeof lib.train !== "function") throw new Error("require(llminit).train is not a function")' ||
    fail "require('llminit') failed"
fi

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

say "npx llminit quickstart (the README's main job, on the data bundled in the package)"
npx --offline --no-install llminit quickstart --quiet >quickstart.txt || fail "llminit quickstart exited non-zero"
grep -q '^verdict: ' quickstart.txt || fail "llminit quickstart printed no verdict: $(cat quickstart.txt)"
sed 's/^/  /' quickstart.txt

# --- no addon for the platform --------------------------------------------------------------
say "without llminit-linux-x64-gnu: the CLI and the import name the missing platform package"
mkdir "$work/bare"
cd "$work/bare"
printf '{ "name": "llminit-pack-check-bare", "version": "0.0.0", "private": true, "type": "module" }\n' >package.json
npm install --offline --no-audit --no-fund --omit optional "$root_tgz" >/dev/null
if npx --offline --no-install llminit --help >out.txt 2>err.txt; then fail "llminit --help succeeded with no native addon"; fi
grep -q 'no native addon for this platform: linux-x64-gnu' err.txt && grep -q 'llminit-linux-x64-gnu' err.txt ||
  fail "llminit --help without an addon printed: $(cat err.txt)"
! grep -q '    at ' err.txt || fail "llminit --help without an addon printed a stack trace: $(cat err.txt)"
node --input-type=module -e '
  try { await import("llminit"); } catch (e) {
    if (e.code === "ERR_LLMINIT_NO_BINDING" && e.message.includes("linux-x64-gnu")) process.exit(0);
    throw e;
  }
  throw new Error("import(llminit) succeeded with no native addon");
' || fail "import('llminit') without an addon did not fail with ERR_LLMINIT_NO_BINDING"
say "  $(head -c 160 err.txt)..."

say "OK"
