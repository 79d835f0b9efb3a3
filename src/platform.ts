/**
 * Checks, before the generated napi-rs loader (`../index.js`) runs, that a native addon for this
 * machine can be found at all, and otherwise fails with a message that names the platform, the
 * package it needs and what to do. native.ts imports this module first: ES modules evaluate their
 * imports in order, so this runs before the loader, without top-level await (which would stop
 * `require('llminit')` from working).
 *
 * The loader looks for `llminit.<platform>.node` beside it (a source build) and then for the
 * package `llminit-<platform>` (an optional dependency of the published package). This check
 * accepts any candidate of the machine's OS and CPU, glibc or musl alike, so it never rejects a
 * machine the loader would accept; when one is present but does not load, the loader's own error
 * (with the reasons in its `cause` chain) is what the caller sees.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** The napi-rs platform name of a Rust target triple (`x86_64-unknown-linux-gnu` → `linux-x64-gnu`). */
export function platformOfTriple(triple: string): string {
  const [cpu, , os, abi] = triple.split('-')
  const arch = ({ x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' } as Record<string, string>)[cpu ?? ''] ?? cpu
  if (os === 'linux') return `linux-${arch}-${abi === 'musl' ? 'musl' : 'gnu'}`
  if (os === 'darwin') return `darwin-${arch}`
  if (os === 'windows') return `win32-${arch}-${abi ?? 'msvc'}`
  return `${os}-${arch}`
}

/** The libc of this Linux machine as napi-rs names it, from the process report (no child process). */
function linuxLibc(): 'gnu' | 'musl' {
  try {
    if (process.report) (process.report as { excludeNetwork?: boolean }).excludeNetwork = true
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string }; sharedObjects?: string[] } | undefined
    if (report?.header?.glibcVersionRuntime) return 'gnu'
    if (report?.sharedObjects?.some((f) => f.includes('libc.musl-') || f.includes('ld-musl-'))) return 'musl'
  } catch {
    // fall through
  }
  return 'gnu'
}

/** Every platform name the loader might accept on this machine. */
export function candidatePlatforms(): string[] {
  const { platform, arch } = process
  if (platform === 'linux') return [`linux-${arch}-gnu`, `linux-${arch}-musl`]
  if (platform === 'darwin') return [`darwin-${arch}`, 'darwin-universal']
  if (platform === 'win32') return [`win32-${arch}-msvc`, `win32-${arch}-gnu`]
  return [`${platform}-${arch}`]
}

/** This machine's platform name (`linux-arm64-gnu`, `darwin-x64`, …). */
export function hostPlatform(): string {
  const { platform, arch } = process
  if (platform === 'linux') return `linux-${arch}-${linuxLibc()}`
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

/** The platforms the published package has prebuilt addons for (package.json `napi.targets`). */
export function prebuiltPlatforms(): string[] {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { napi?: { targets?: string[] } }
    return (pkg.napi?.targets ?? []).map(platformOfTriple)
  } catch {
    return []
  }
}

function resolvable(specifier: string): boolean {
  try {
    require.resolve(specifier)
    return true
  } catch {
    return false
  }
}

/** The message for a machine with no addon; `undefined` when a candidate is present. */
export function missingBindingMessage(): string | undefined {
  const env = process.env
  // The loader's own overrides: leave those to it.
  if (env.NAPI_RS_NATIVE_LIBRARY_PATH || env.NAPI_RS_FORCE_WASI || env.NAPI_RS_WASI_FLAVOR) return undefined
  for (const c of candidatePlatforms()) {
    if (existsSync(new URL(`../llminit.${c}.node`, import.meta.url))) return undefined
    if (resolvable(`llminit-${c}`)) return undefined
  }
  const name = hostPlatform()
  const prebuilt = prebuiltPlatforms()
  const where = `${process.platform} ${process.arch}${process.platform === 'linux' ? ` (${name.endsWith('musl') ? 'musl' : 'glibc'})` : ''}, Node ${process.version}`
  const fix = prebuilt.includes(name)
    ? `Its prebuilt addon is the package llminit-${name}, an optional dependency of llminit that was not installed: ` +
      `install again without --no-optional / --omit=optional (or remove node_modules and package-lock.json first: ` +
      `https://github.com/npm/cli/issues/4828), or add it directly: npm install llminit-${name}.`
    : `No prebuilt addon is published for ${name}; build from source (Node >= 20 and Rust): ` +
      `git clone https://github.com/llminit/llminit && cd llminit && npm ci.`
  return (
    `llminit: no native addon for this platform: ${name} (${where}). ${fix}` +
    (prebuilt.length ? ` Prebuilt platforms: ${prebuilt.join(', ')}.` : '')
  )
}

const message = missingBindingMessage()
if (message !== undefined) {
  throw Object.assign(new Error(message), { code: 'ERR_LLMINIT_NO_BINDING' })
}
