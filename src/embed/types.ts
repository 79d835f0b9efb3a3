/** The shape every embedding reader returns, before alignment to a dataset's items. */
export interface ItemEmbeddings {
  /** The file the vectors came from (for error messages and reports). */
  file: string
  /** Raw item ids, one per row, in file order (as strings: numeric ids are printed in base 10). */
  ids: string[]
  /** Length of every vector (D). */
  dim: number
  /** `ids.length × dim` values, row-major, in file order. */
  vectors: Float32Array
}

export interface ReadEmbeddingsOptions {
  /** Column (Parquet, Arrow, `.item`) or key (JSONL) holding the item id. Default `item_id`; for JSONL `id`, else `item_id`. */
  idColumn?: string
  /**
   * Column or key holding the vector. Default `embedding`; for a RecBole `.item` file, its only
   * `float_seq` column (the `:float_seq` suffix may be given).
   */
  vectorColumn?: string
  /**
   * `.npy` only: the id list, one id per line, or a JSON array of strings/numbers when it ends in
   * `.json`. Default: `<name>.ids.txt` or `<name>.ids.json` beside `<name>.npy`.
   */
  idsPath?: string
  /**
   * Default: from the extension (`.parquet`/`.pq`; `.arrow`/`.feather`/`.ipc`; `.jsonl`/`.ndjson`;
   * `.npy`; `.item`).
   */
  format?: EmbeddingFormat
}

export const EMBEDDING_FORMATS = ['parquet', 'arrow', 'jsonl', 'npy', 'item'] as const
export type EmbeddingFormat = (typeof EMBEDDING_FORMATS)[number]

export const DEFAULT_ID_COLUMN = 'item_id'
export const DEFAULT_VECTOR_COLUMN = 'embedding'
