/**
 * Parquet embedding files, read with parquet-wasm (Rust's `parquet` crate compiled to
 * WebAssembly: every codec, including the zstd of the shared MPNet files) into Arrow, then
 * converted like an Arrow IPC file. Vectors stay typed arrays throughout. The WebAssembly module
 * is loaded on first use; its memory grows to about twice the decoded file and is not returned
 * to the system until the process ends.
 */
import { tableFromIPC } from 'apache-arrow'
import { dataError } from '../errors.js'
import { embeddingsFromTable, readBytes } from './arrow.js'
import type { ItemEmbeddings, ReadEmbeddingsOptions } from './types.js'

export async function readParquetEmbeddings(file: string, options: ReadEmbeddingsOptions = {}): Promise<ItemEmbeddings> {
  const bytes = await readBytes(file)
  const { readParquet } = await import('parquet-wasm')
  let ipc: Uint8Array
  try {
    const wasmTable = readParquet(bytes)
    ipc = wasmTable.intoIPCStream()
  } catch (err) {
    throw dataError(file, undefined, `cannot read as Parquet (${err instanceof Error ? err.message : String(err)})`)
  }
  return embeddingsFromTable(tableFromIPC(ipc), file, options)
}
