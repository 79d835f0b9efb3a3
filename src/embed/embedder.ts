/** What every embedding source (a local ONNX model, an HTTP endpoint) provides to `embedItems`. */

export interface EmbedBatchOptions {
  /** Texts per model call or request. */
  batchSize: number
  /** Called with the number of texts embedded so far (it only grows). */
  onProgress?: (done: number) => void
  signal?: AbortSignal
}

export interface Embedder {
  /**
   * Everything besides the text that decides the vectors (model files' hashes or name, pooling,
   * truncation, normalisation): it is hashed into every cache key.
   */
  readonly identity: Readonly<Record<string, unknown>>
  /** A short human-readable name, e.g. `onnx:all-MiniLM-L6-v2`. */
  readonly label: string
  /** Embeds non-empty `texts`; returns `texts.length × dim` values in the order of `texts`. */
  embed(texts: readonly string[], options: EmbedBatchOptions): Promise<{ dim: number; vectors: Float32Array }>
  /** Releases the model (ONNX sessions); idempotent. */
  close(): Promise<void>
}
