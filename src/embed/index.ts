/**
 * LLM item embeddings: read them from Parquet, Arrow IPC, JSONL, NumPy `.npy` (+ id list) or a
 * float_seq column of a RecBole `.item` file, and align them to a dataset.
 */
import { extname } from 'node:path'
import { LlminitError } from '../errors.js'
import { readArrowEmbeddings } from './arrow.js'
import { readItemEmbeddings } from './item.js'
import { readJsonlEmbeddings } from './jsonl.js'
import { readNpyEmbeddings } from './npy.js'
import { readParquetEmbeddings } from './parquet.js'
import { EMBEDDING_FORMATS, type EmbeddingFormat, type ItemEmbeddings, type ReadEmbeddingsOptions } from './types.js'

export { alignEmbeddings } from './align.js'
export { embedItems, type EmbedItemsOptions, type EmbedSourceOptions, type EmbedProgress, type EmbedSummary, type EmbeddedItems } from './embed-items.js'
export { writeEmbeddings, WRITABLE_EXTENSIONS } from './write.js'
export { defaultCacheDir, CACHE_DIR_ENV } from './cache.js'
export { itemTexts, MISSING_TEXT_POLICIES, type MissingTextPolicy, type ItemTexts } from './item-text.js'
export { parseTemplate, renderTemplate, defaultTemplate, type TextTemplate } from './template.js'
export { POOLINGS, type Pooling } from './sentence-config.js'
export { embeddingsFromTable } from './arrow.js'
export { parseNpyHeader, type NpyHeader } from './npy.js'
export { EMBEDDING_FORMATS, type EmbeddingFormat, type ItemEmbeddings, type ReadEmbeddingsOptions } from './types.js'

const BY_EXTENSION: Record<string, EmbeddingFormat> = {
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.arrow': 'arrow',
  '.feather': 'arrow',
  '.ipc': 'arrow',
  '.arrows': 'arrow',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.npy': 'npy',
  '.item': 'item',
}

/**
 * Reads item vectors keyed by item id: Parquet or Arrow IPC with an id column (`item_id`) and a
 * vector column (`embedding`, fixed_size_list<float32> or list<float32>), or JSON Lines
 * (`{"id": …, "embedding": [...]}`), or a NumPy `.npy` array (n, D) of `<f4`/`<f8` (C order) with
 * its ids in `<name>.ids.txt` / `<name>.ids.json` (or `idsPath`), or a `float_seq` column of a
 * RecBole `.item` file (`vectorColumn`, default the only one; ids from `item_id`). Every vector
 * must have the same length.
 *
 * @example
 * ```ts
 * const emb = await readEmbeddings('amazon-office.mpnet.parquet')
 * const x = alignEmbeddings(emb, data.itemIds) // nItems × emb.dim, dense-id order
 * ```
 * @throws LlminitError `ERR_LLMINIT_IO` when the file cannot be read, `ERR_LLMINIT_DATA` (naming
 *   the file, and the row or line and id) for a malformed file, `ERR_LLMINIT_INVALID_OPTION` for
 *   an unknown format.
 */
export async function readEmbeddings(path: string, options: ReadEmbeddingsOptions = {}): Promise<ItemEmbeddings> {
  const ext = extname(path).toLowerCase()
  const format = options.format ?? BY_EXTENSION[ext]
  if (format === undefined || !EMBEDDING_FORMATS.includes(format)) {
    throw new LlminitError(
      'ERR_LLMINIT_INVALID_OPTION',
      `${path}: cannot tell the embeddings format from "${ext}" (expected ${Object.keys(BY_EXTENSION).join(', ')}, or format: ${EMBEDDING_FORMATS.join(' | ')})`,
    )
  }
  switch (format) {
    case 'parquet':
      return readParquetEmbeddings(path, options)
    case 'arrow':
      return readArrowEmbeddings(path, options)
    case 'jsonl':
      return readJsonlEmbeddings(path, options)
    case 'npy':
      return readNpyEmbeddings(path, options)
    case 'item':
      return readItemEmbeddings(path, options)
  }
}
