/**
 * Local ONNX embedding: parity with sentence-transformers on the shared all-MiniLM-L6-v2 folder
 * (its `reference.jsonl`: 200 Office item texts, an empty text, a one-letter text, non-ASCII text
 * and a text longer than 256 tokens, each with the vector sentence-transformers computed), and
 * the pieces it is made of: truncation that keeps the closing special token, pooling, the
 * sentence-transformers configuration, and the error when the optional package is missing.
 *
 * The parity test is registered as skipped (never passed) when the model folder or
 * `@huggingface/transformers` is absent.
 */
import test from 'ava'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { describeLocalModel, openLocalModel } from '../src/embed/local-model.js'
import { poolInto } from '../src/embed/pooling.js'
import { folderJsonReader, readSentenceConfig } from '../src/embed/sentence-config.js'
import { loadTransformers } from '../src/embed/transformers-loader.js'
import { specialTokenLayout, truncateKeepingSpecials } from '../src/embed/truncate.js'
import { lengthSortedBatches, padBatch } from '../src/embed/batches.js'
import { hasLocalModel, MINILM } from './helpers.js'

const hasModel = existsSync(`${MINILM}/onnx/model.onnx`)

test('specialTokenLayout and truncation keep [CLS] … [SEP] at the maximum length', (t) => {
  const layout = specialTokenLayout([101, 1037, 102], [1037])
  t.deepEqual(layout, { lead: 1, trail: 1 })
  const ids = [101, 1, 2, 3, 4, 5, 6, 102]
  t.deepEqual(truncateKeepingSpecials(ids, 5, layout), [101, 1, 2, 3, 102])
  t.deepEqual(truncateKeepingSpecials(ids, 8, layout), ids)
  t.deepEqual(truncateKeepingSpecials([0, 1, 2, 3, 2], 4, specialTokenLayout([0, 9, 2], [9])), [0, 1, 2, 2], 'RoBERTa-style <s> … </s>')
  t.deepEqual(specialTokenLayout([7, 8], [7, 8]), { lead: 0, trail: 0 })
})

test('length-sorted batches and right padding', (t) => {
  t.deepEqual(lengthSortedBatches([5, 2, 9, 2, 4], 2), [[1, 3], [4, 0], [2]])
  const b = padBatch([[101, 7, 102], [101, 102]], 0)
  t.is(b.seqLen, 3)
  t.deepEqual(Array.from(b.inputIds, Number), [101, 7, 102, 101, 102, 0])
  t.deepEqual(Array.from(b.attentionMask, Number), [1, 1, 1, 1, 1, 0])
  t.deepEqual(Array.from(b.lengths), [3, 2])
})

test('pooling: mean over real tokens only, then L2 normalisation; cls and max', (t) => {
  // Two rows, seqLen 3, dim 2; row 1 has 2 real tokens (its third position is padding: 100s).
  const hidden = new Float32Array([1, 2, 3, 4, 5, 6, /* row 1 */ 3, 0, 1, 4, 100, 100])
  const lengths = new Int32Array([3, 2])
  const out = new Float32Array(6)
  poolInto(out, [2, 0], hidden, lengths, 3, 2, 'mean', false)
  t.deepEqual(Array.from(out), [2, 2, 0, 0, 3, 4], 'row 0 → out row 2 = mean(1,3,5), mean(2,4,6); row 1 → out row 0')
  poolInto(out, [0, 1], hidden, lengths, 3, 2, 'mean', true)
  t.deepEqual(Array.from(out.subarray(0, 4), (v) => Math.round(v * 1e6) / 1e6), [0.6, 0.8, 0.707107, 0.707107])
  poolInto(out, [0, 1], hidden, lengths, 3, 2, 'max', false)
  t.deepEqual(Array.from(out.subarray(0, 4)), [5, 6, 3, 4])
  poolInto(out, [0, 1], hidden, lengths, 3, 2, 'cls', false)
  t.deepEqual(Array.from(out.subarray(0, 4)), [1, 2, 3, 0])
})

const withModel = hasModel ? test : test.skip
withModel('sentence-transformers configuration of the MiniLM folder: mean, normalised, 256 tokens', async (t) => {
  t.deepEqual(await readSentenceConfig(folderJsonReader(MINILM), 'all-MiniLM-L6-v2'), { pooling: 'mean', normalize: true, maxSeqLength: 256, from: 'sentence-transformers' })
  t.deepEqual(await readSentenceConfig(folderJsonReader('/nonexistent-folder'), 'x'), { pooling: 'mean', normalize: false, from: 'defaults' })
})

test('a missing model folder or weights file is an error naming it', async (t) => {
  await t.throwsAsync(describeLocalModel({ modelPath: '/nonexistent/all-MiniLM' }), { code: 'ERR_LLMINIT_IO', message: '/nonexistent/all-MiniLM: no such model folder' })
  if (hasModel) {
    await t.throwsAsync(describeLocalModel({ modelPath: MINILM, dtype: 'q4' }), { code: 'ERR_LLMINIT_IO', message: /no onnx\/model_q4\.onnx in the model folder/ })
  }
})

test('without the optional package: an error saying how to install it', async (t) => {
  await t.throwsAsync(loadTransformers('@llminit-test/no-such-package'), {
    code: 'ERR_LLMINIT_MISSING_DEPENDENCY',
    message: /needs the optional package @llminit-test\/no-such-package, which is not installed: run "npm install @llminit-test\/no-such-package"/,
  })
})

const parity = hasLocalModel() ? test : test.skip
parity('all-MiniLM-L6-v2 reproduces every sentence-transformers reference vector (cosine ≥ 0.999)', async (t) => {
  const lines = (await readFile(`${MINILM}/reference.jsonl`, 'utf8')).trim().split('\n')
  const refs = lines.map((l) => JSON.parse(l) as { text: string; embedding: number[] })
  t.is(refs.length, 204)
  t.true(refs.some((r) => r.text === ''), 'includes the empty text')
  t.true(refs.some((r) => r.text.split(' ').length >= 400), 'includes the long text')
  const embedder = await openLocalModel({ modelPath: MINILM })
  t.teardown(() => embedder.close())
  const { dim, vectors } = await embedder.embed(
    refs.map((r) => r.text),
    { batchSize: 64 },
  )
  t.is(dim, 384)
  let min = 1
  let worst = -1
  refs.forEach((r, k) => {
    let dot = 0
    let na = 0
    let nb = 0
    for (let j = 0; j < dim; j++) {
      dot += vectors[k * dim + j] * r.embedding[j]
      na += vectors[k * dim + j] ** 2
      nb += r.embedding[j] ** 2
    }
    const cos = dot / Math.sqrt(na * nb)
    if (cos < min) [min, worst] = [cos, k]
    t.true(Math.abs(Math.sqrt(na) - 1) < 1e-4, `vector ${k} is normalised`)
  })
  t.log(`minimum cosine ${min.toPrecision(12)} (line ${worst + 1})`)
  t.true(min >= 0.999, `line ${worst + 1} (${JSON.stringify(refs[worst].text.slice(0, 40))}) has cosine ${min}`)
})
