/** `llminit embed`: parses flags and calls `embedItems()`, then `writeEmbeddings()`. */
import { Command, Option } from 'commander'
import { embedItems } from '../../embed/embed-items.js'
import { DEFAULT_API_KEY_ENV } from '../../embed/endpoint.js'
import { MISSING_TEXT_POLICIES } from '../../embed/item-text.js'
import { MODEL_DTYPES } from '../../embed/local-model.js'
import { POOLINGS } from '../../embed/sentence-config.js'
import { checkWritablePath, writeEmbeddings } from '../../embed/write.js'
import { LlminitError } from '../../errors.js'
import { embedProgressPrinter } from '../embed-progress.js'

function positiveInteger(flag: string): (raw: string) => number {
  return (raw) => {
    const n = Number(raw)
    if (raw.trim() === '' || !Number.isInteger(n) || n < 1) throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `${flag}: expected a positive integer, got ${JSON.stringify(raw)}`)
    return n
  }
}

export function embedCommand(signal: AbortSignal): Command {
  const cmd = new Command('embed')
    .description(
      "Embed each item's text (a template over the dataset's .item file) with a local ONNX model or an OpenAI-compatible " +
        'endpoint, through a cache, and write a vector file that --embeddings reads',
    )
    .requiredOption('--data <path>', 'RecBole dataset folder or .inter file (the .item file beside it holds the text)')
    .requiredOption('--out <file>', 'output: .parquet, .arrow (.feather, .ipc, .arrows) or .jsonl (written atomically)')
    .option('--model-path <dir>', 'local model folder (tokenizer, onnx/model.onnx, sentence-transformers files)')
    .option('--model <name>', 'Hugging Face Hub model id, downloaded and cached by @huggingface/transformers')
    .option('--endpoint <url>', 'OpenAI-compatible embeddings endpoint: base URL (http://localhost:11434/v1) or the …/embeddings URL')
    .option('--endpoint-model <name>', 'model name for --endpoint')
    .option('--api-key-env <name>', 'environment variable holding the endpoint API key', DEFAULT_API_KEY_ENV)
    .option('--concurrency <n>', 'endpoint requests in flight', positiveInteger('--concurrency'), 4)
    .option('--dimensions <n>', 'expected vector length from the endpoint (any other is an error)', positiveInteger('--dimensions'))
    .option('--template <text>', 'item text template over .item columns, e.g. "{title}. {categories}. {brand}" (default: the text-like columns joined with ". ")')
    .addOption(new Option('--missing-text <policy>', 'items without text: error (naming the item) or zero (zero vector, with a warning)').choices(MISSING_TEXT_POLICIES).default('error'))
    .option('--batch-size <n>', 'texts per model call or request', positiveInteger('--batch-size'), 64)
    .option('--limit <n>', 'embed only the first n items of the dataset', positiveInteger('--limit'))
    .addOption(new Option('--dtype <dtype>', 'local model weights (onnx/model<suffix>.onnx)').choices(MODEL_DTYPES).default('fp32'))
    .addOption(new Option('--pooling <mode>', "pooling (default: the model's sentence-transformers configuration)").choices(POOLINGS))
    .option('--max-length <n>', "tokens kept per text (default: the model's max_seq_length)", positiveInteger('--max-length'))
    .option('--normalize', 'L2-normalise the vectors (default: as the model is configured)')
    .option('--no-normalize', 'do not L2-normalise the vectors')
    .option('--threads <n>', 'ONNX Runtime threads (default: all cores)', positiveInteger('--threads'))
    .option('--cache-dir <dir>', 'embedding cache folder (default: $LLMINIT_CACHE_DIR, $XDG_CACHE_HOME/llminit or ~/.cache/llminit)')
    .option('--no-cache', 'neither read nor write the embedding cache')
    .option('--json', 'print the JSON summary on stdout')
    .option('--quiet', 'no progress output')
  cmd.action(async (opts: Record<string, unknown>) => {
    const out = opts.out as string
    checkWritablePath(out)
    const progress = embedProgressPrinter(Boolean(opts.quiet))
    let emb
    try {
      emb = await embedItems({
        data: opts.data as string,
        modelPath: opts.modelPath as string | undefined,
        model: opts.model as string | undefined,
        endpoint: opts.endpoint as string | undefined,
        endpointModel: opts.endpointModel as string | undefined,
        apiKeyEnv: opts.apiKeyEnv as string,
        concurrency: opts.concurrency as number,
        dimensions: opts.dimensions as number | undefined,
        template: opts.template as string | undefined,
        missingText: opts.missingText as 'error' | 'zero',
        batchSize: opts.batchSize as number,
        limit: opts.limit as number | undefined,
        dtype: opts.dtype as string,
        pooling: opts.pooling as (typeof POOLINGS)[number] | undefined,
        maxLength: opts.maxLength as number | undefined,
        normalize: opts.normalize as boolean | undefined,
        threads: opts.threads as number | undefined,
        cache: opts.cache as boolean,
        cacheDir: opts.cacheDir as string | undefined,
        onProgress: progress.onProgress,
        onWarning: (message) => process.stderr.write(`llminit: warning: ${message}\n`),
        signal,
      })
    } finally {
      progress.stop()
    }
    await writeEmbeddings(out, emb)
    const s = emb.summary
    if (opts.json) process.stdout.write(JSON.stringify({ out, ...s }, null, 2) + '\n')
    else {
      process.stdout.write(
        `${out}: ${s.items} items × ${s.dim} (${s.source}; template ${JSON.stringify(s.template)})\n` +
          `${s.embedded} embedded, ${s.cacheHits} from the cache, ${s.missingText} without text; ` +
          `${s.seconds.toFixed(2)} s (${s.itemsPerSecond.toFixed(1)} items/s; model ${s.modelItemsPerSecond.toFixed(1)} items/s)\n`,
      )
    }
  })
  return cmd
}
