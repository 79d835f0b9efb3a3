#!/usr/bin/env bash
# Usage: scripts/napi-cross-toolchain.sh <rust-target>     (e.g. aarch64-unknown-linux-gnu)
#
# Puts the prebuilt gcc cross toolchain of @napi-rs/cross-toolchain (glibc 2.17 sysroot, so the
# addon loads on any Linux from glibc 2.17 on) where `napi build --use-napi-cross` looks for it:
# ~/.napi-rs/cross-toolchain/<version>/<target>/, <version> being the @napi-rs/cross-toolchain
# that @napi-rs/cli resolves. When that folder holds a package.json, napi uses it as it is.
#
# Why: @napi-rs/cli 3.10 depends on @napi-rs/cross-toolchain ^1.0.5, which fetches
# @napi-rs/cross-toolchain-<host>-target-<arch> at its own version, 1.0.5, and the registry has
# no such version (the newest toolchain package is 1.0.3): `--use-napi-cross` fails with
# "No matching version found". This fetches that version if it exists, else the newest one.
# Needs npm, tar and xz; run from the repository root after `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:?usage: $0 <rust-target>}
case "$(uname -m)" in
  x86_64 | amd64) host=x64 ;;
  aarch64 | arm64) host=arm64 ;;
  *) echo "napi-cross-toolchain: no prebuilt toolchains for host $(uname -m)" >&2; exit 1 ;;
esac
case "$target" in
  aarch64-unknown-linux-gnu) arch=aarch64 ;;
  x86_64-unknown-linux-gnu) arch=x86_64 ;;
  armv7-unknown-linux-gnueabihf) arch=armv7 ;;
  powerpc64le-unknown-linux-gnu) arch=ppc64le ;;
  s390x-unknown-linux-gnu) arch=s390x ;;
  *) echo "napi-cross-toolchain: @napi-rs/cross-toolchain has no toolchain for $target" >&2; exit 1 ;;
esac

version=$(node -e '
  const { createRequire } = require("node:module");
  const cli = require.resolve("@napi-rs/cli/package.json", { paths: [process.cwd()] });
  console.log(createRequire(cli)("@napi-rs/cross-toolchain/package.json").version);
')
dest="$HOME/.napi-rs/cross-toolchain/$version/$target"
if [ -f "$dest/package.json" ]; then
  echo "napi-cross-toolchain: $dest is in place"
  exit 0
fi

pkg="@napi-rs/cross-toolchain-$host-target-$arch"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "napi-cross-toolchain: fetching $pkg@$version"
if ! (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null 2>&1); then
  latest=$(npm view "$pkg" version)
  echo "napi-cross-toolchain: $pkg@$version is not published; using $pkg@$latest"
  (cd "$tmp" && npm pack --silent "$pkg@$latest" >/dev/null)
fi
tar -xzf "$tmp"/*.tgz -C "$tmp"
inner=$(ls "$tmp"/package/*.tar.xz)
mkdir -p "$dest"
tar -xJf "$inner" -C "$dest"
[ -f "$dest/package.json" ] || { echo "napi-cross-toolchain: $inner has no package.json" >&2; rm -rf "$dest"; exit 1; }
echo "napi-cross-toolchain: $target toolchain in $dest ($(du -sh "$dest" | cut -f1))"
