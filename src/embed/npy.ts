/**
 * NumPy `.npy` embedding files (format 1.0, 2.0 or 3.0; dtype `<f4` or `<f8`; C order; shape
 * (n, D); `<f2` (float16) is widened to float32) with the item ids in a sidecar file: `<name>.ids.txt` (one id per line) or
 * `<name>.ids.json` (a JSON array of strings or numbers) beside `<name>.npy`, or `idsPath`.
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 *
 * The data is read as one typed-array view of the file (a copy when it is not 4/8-byte aligned);
 * float64 is rounded to float32 with one typed-array conversion. Assumes a little-endian host.
 */
import { access, readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { dataError, LlminitError } from '../errors.js'
import { readBytes } from './arrow.js'
import { halfToFloat32 } from './half.js'
import type { ItemEmbeddings, ReadEmbeddingsOptions } from './types.js'

/** Bytes per value of the dtypes read. */
const ITEM_SIZE: Record<string, number | undefined> = { '<f2': 2, '<f4': 4, '<f8': 8 }

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY

export interface NpyHeader {
  /** `[major, minor]` of the format version. */
  version: [number, number]
  descr: string
  fortranOrder: boolean
  shape: number[]
  /** Byte offset of the data in the file. */
  dataOffset: number
}

/** Parses the header of a `.npy` file (magic, version, length, and the Python dict literal). */
export function parseNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, k) => bytes[k] !== b)) {
    throw dataError(file, undefined, 'not a NumPy .npy file (bad magic: expected \\x93NUMPY)')
  }
  const major = bytes[6]
  const minor = bytes[7]
  if (major !== 1 && major !== 2 && major !== 3) {
    throw dataError(file, undefined, `unsupported .npy format version ${major}.${minor} (expected 1.0, 2.0 or 3.0)`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const lenSize = major === 1 ? 2 : 4
  if (bytes.length < 8 + lenSize) throw dataError(file, undefined, 'truncated .npy header')
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true)
  const start = 8 + lenSize
  const dataOffset = start + headerLen
  if (bytes.length < dataOffset) {
    throw dataError(file, undefined, `truncated .npy header (${headerLen} bytes announced, ${bytes.length - start} present)`)
  }
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, dataOffset))

  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1]
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)\b/.exec(text)?.[1]
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1]
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw dataError(file, undefined, `malformed .npy header ${JSON.stringify(text.trim())} (expected 'descr', 'fortran_order' and 'shape')`)
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const n = /^\d+L?$/.test(s) ? Number.parseInt(s, 10) : Number.NaN
      if (!Number.isSafeInteger(n)) throw dataError(file, undefined, `malformed shape (${shapeText}) in the .npy header`)
      return n
    })
  return { version: [major, minor], descr, fortranOrder: fortran === 'True', shape, dataOffset }
}

/** Reads `file` (.npy) and its ids (see the module comment). */
export async function readNpyEmbeddings(file: string, options: ReadEmbeddingsOptions = {}): Promise<ItemEmbeddings> {
  const bytes = await readBytes(file)
  const header = parseNpyHeader(bytes, file)
  const { descr, shape, dataOffset } = header
  const itemSize = ITEM_SIZE[descr]
  if (itemSize === undefined) {
    throw dataError(file, undefined, `unsupported dtype ${JSON.stringify(descr)} (expected little-endian float16 '<f2', float32 '<f4' or float64 '<f8')`)
  }
  if (header.fortranOrder) throw dataError(file, undefined, 'fortran_order is True (expected a C-order array; save np.ascontiguousarray(x))')
  if (shape.length !== 2) {
    throw dataError(file, undefined, `array of shape (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), expected 2-D (items, dim)`)
  }
  const [rows, dim] = shape
  const count = rows * dim
  const need = count * itemSize
  const have = bytes.length - dataOffset
  if (have < need) {
    throw dataError(file, undefined, `truncated data: shape (${rows}, ${dim}) of ${descr} needs ${need} bytes, the file has ${have}`)
  }
  if (have > need) {
    throw dataError(file, undefined, `${have - need} bytes after the data of shape (${rows}, ${dim}) of ${descr}`)
  }
  const at = bytes.byteOffset + dataOffset
  let vectors: Float32Array
  if (itemSize === 4) {
    vectors = at % 4 === 0 ? new Float32Array(bytes.buffer, at, count) : new Float32Array(bytes.buffer.slice(at, at + need))
  } else if (itemSize === 2) {
    vectors = halfToFloat32(at % 2 === 0 ? new Uint16Array(bytes.buffer, at, count) : new Uint16Array(bytes.buffer.slice(at, at + need)))
  } else {
    const f64 = at % 8 === 0 ? new Float64Array(bytes.buffer, at, count) : new Float64Array(bytes.buffer.slice(at, at + need))
    vectors = new Float32Array(f64)
  }

  const ids = await readIds(file, options.idsPath)
  if (ids.ids.length !== rows) {
    throw dataError(file, undefined, `${rows} rows but ${ids.ids.length} ids in ${ids.file}`)
  }
  return { file, ids: ids.ids, dim, vectors }
}

/** The sidecar names tried for `file`, in order. */
export function sidecarCandidates(file: string): string[] {
  const base = extname(file).toLowerCase() === '.npy' ? file.slice(0, -4) : file
  return [`${base}.ids.txt`, `${base}.ids.json`]
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}

async function readIds(file: string, idsPath: string | undefined): Promise<{ file: string; ids: string[] }> {
  let path = idsPath
  if (path === undefined) {
    const candidates = sidecarCandidates(file)
    const found: string[] = []
    for (const c of candidates) if (await exists(c)) found.push(c)
    if (found.length === 0) {
      throw dataError(file, undefined, `no id list beside the .npy file (tried ${candidates.join(', ')}; or pass idsPath)`)
    }
    if (found.length > 1) throw dataError(file, undefined, `two id lists, ${found.join(' and ')}: remove one or pass idsPath`)
    path = found[0]
  }
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    throw new LlminitError('ERR_LLMINIT_IO', `${file}: cannot read its id list ${path} (${why})`, { cause: err })
  }
  return { file: path, ids: extname(path).toLowerCase() === '.json' ? parseJsonIds(path, text) : parseTextIds(path, text) }
}

function parseJsonIds(path: string, text: string): string[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw dataError(path, undefined, `not valid JSON (${(err as Error).message})`)
  }
  if (!Array.isArray(value)) throw dataError(path, undefined, 'expected a JSON array of ids')
  return value.map((id, k) => {
    if (typeof id === 'string') return id
    if (typeof id === 'number' && Number.isFinite(id)) return String(id)
    throw dataError(path, undefined, `element ${k} is ${JSON.stringify(id)}, not a string or number`)
  })
}

function parseTextIds(path: string, text: string): string[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  lines.forEach((l, k) => {
    if (l === '') throw dataError(path, k + 1, 'empty id')
  })
  return lines
}
