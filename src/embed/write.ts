/**
 * Writes item vectors in a format `readEmbeddings` reads back, chosen by the extension: Parquet
 * (`.parquet`/`.pq`, zstd, written by parquet-wasm), Arrow IPC (`.arrow`/`.feather`/`.ipc`, file
 * format; `.arrows`, stream format) or JSON Lines (`.jsonl`/`.ndjson`). Atomically: a temporary
 * sibling, then a rename.
 */
import { extname } from 'node:path'
import { tableToIPC } from 'apache-arrow'
import { LlminitError } from '../errors.js'
import { writeFileAtomic } from '../io/atomic-write.js'
import { embeddingsTable } from './table.js'
import type { ItemEmbeddings } from './types.js'

export const WRITABLE_EXTENSIONS = ['.parquet', '.pq', '.arrow', '.feather', '.ipc', '.arrows', '.jsonl', '.ndjson'] as const

/** Checks that `path` has an extension `writeEmbeddings` can write. */
export function checkWritablePath(path: string): void {
  const ext = extname(path).toLowerCase()
  if (!(WRITABLE_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `${path}: cannot write embeddings as "${ext}" (expected ${WRITABLE_EXTENSIONS.join(', ')})`)
  }
}

export async function writeEmbeddings(path: string, emb: Pick<ItemEmbeddings, 'ids' | 'dim' | 'vectors'>): Promise<void> {
  checkWritablePath(path)
  const ext = extname(path).toLowerCase()
  await writeFileAtomic(path, await encode(ext, emb))
}

async function encode(ext: string, { ids, dim, vectors }: Pick<ItemEmbeddings, 'ids' | 'dim' | 'vectors'>): Promise<string | Uint8Array> {
  if (ext === '.jsonl' || ext === '.ndjson') {
    const lines = ids.map((id, r) => JSON.stringify({ id, embedding: Array.from(vectors.subarray(r * dim, (r + 1) * dim)) }))
    return lines.join('\n') + '\n'
  }
  const table = embeddingsTable(ids, dim, vectors)
  if (ext === '.arrows') return tableToIPC(table, 'stream')
  if (ext !== '.parquet' && ext !== '.pq') return tableToIPC(table, 'file')
  const { Compression, Table: WasmTable, WriterPropertiesBuilder, writeParquet } = await import('parquet-wasm')
  const properties = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).build()
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(table, 'stream')), properties)
}
