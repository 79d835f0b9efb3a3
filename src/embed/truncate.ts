/**
 * Truncation as Hugging Face's Python tokenizers (and so sentence-transformers) do it: the text's
 * tokens are cut so that, with the special tokens around them, the sequence is `maxLength` long;
 * the special tokens at both ends stay. (Truncating the finished sequence instead, as the
 * JavaScript tokenizer does, drops BERT's closing `[SEP]`.)
 */

/** How many special tokens a tokenizer puts before and after a text's own tokens. */
export interface SpecialTokenLayout {
  lead: number
  trail: number
}

/**
 * Finds the layout from one probe: `withSpecials` is the encoding of a short text with special
 * tokens, `bare` the same text without them (`[CLS] a [SEP]` and `a` give lead 1, trail 1).
 */
export function specialTokenLayout(withSpecials: readonly number[], bare: readonly number[]): SpecialTokenLayout {
  for (let lead = 0; lead + bare.length <= withSpecials.length; lead++) {
    if (bare.every((id, k) => withSpecials[lead + k] === id)) return { lead, trail: withSpecials.length - lead - bare.length }
  }
  return { lead: 0, trail: 0 }
}

/** `ids` (with special tokens) cut to `maxLength`, keeping `layout.lead` first and `layout.trail` last tokens. */
export function truncateKeepingSpecials(ids: readonly number[], maxLength: number, layout: SpecialTokenLayout): number[] {
  if (ids.length <= maxLength) return [...ids]
  const keepText = Math.max(0, maxLength - layout.lead - layout.trail)
  return [...ids.slice(0, layout.lead + keepText), ...ids.slice(ids.length - layout.trail)]
}
