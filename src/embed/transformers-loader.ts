/**
 * `@huggingface/transformers` is an optional dependency: it is imported only when a local model
 * is asked for, and its absence is a clear error saying how to install it. Only the few members
 * llminit uses are typed here, so nothing in llminit's public types depends on the package.
 */
import { LlminitError } from '../errors.js'

export interface HfTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[]
  readonly model_max_length: number
  readonly pad_token_id?: number | null
}

export interface HfTensor {
  readonly dims: number[]
  readonly data: Float32Array
  dispose?(): void
}

export interface HfModel {
  (inputs: Record<string, unknown>): Promise<Record<string, HfTensor>>
  dispose(): Promise<unknown>
}

export interface Transformers {
  AutoTokenizer: { from_pretrained(id: string, options?: Record<string, unknown>): Promise<HfTokenizer> }
  AutoModel: { from_pretrained(id: string, options?: Record<string, unknown>): Promise<HfModel> }
  Tensor: new (type: 'int64', data: BigInt64Array, dims: number[]) => unknown
  env: { remoteHost: string; remotePathTemplate: string; fetch: (url: string, init?: unknown) => Promise<Response> }
}

export const TRANSFORMERS_PACKAGE = '@huggingface/transformers'

/** Imports the package (`specifier` is for tests of the missing case). */
export async function loadTransformers(specifier: string = TRANSFORMERS_PACKAGE): Promise<Transformers> {
  try {
    return (await import(specifier)) as Transformers
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new LlminitError(
        'ERR_LLMINIT_MISSING_DEPENDENCY',
        `embedding with a local model needs the optional package ${specifier}, which is not installed: run ` +
          `"npm install ${specifier}" (on a machine without access to GPU binaries, with ONNXRUNTIME_NODE_INSTALL=skip), ` +
          'or embed through an HTTP endpoint instead (--endpoint)',
        { cause: err },
      )
    }
    throw new LlminitError('ERR_LLMINIT_MISSING_DEPENDENCY', `cannot load ${specifier}: ${(err as Error).message}`, { cause: err })
  }
}
