/**
 * The demo data bundled with the package: Amazon Office Products 2014 5-core (4,905 users, 2,420
 * items, 53,258 interactions; McAuley et al. 2015, He & McAuley 2016 — see `data/README.md`) and
 * its all-mpnet-base-v2 item vectors at float16 (768-d, L2-normalized before rounding).
 */
import { fileURLToPath } from 'node:url'

/** `data/amazon-office/` inside the installed package (this file is `dist/demo/bundled.js`). */
const DIR = fileURLToPath(new URL('../../data/amazon-office/', import.meta.url))

export const BUNDLED_OFFICE = {
  name: 'amazon-office',
  /** The RecBole atomic folder (`.inter`, `.item`). */
  data: DIR,
  /** Item vectors keyed by item id (ids in the `.ids.txt` beside it). */
  embeddings: `${DIR}amazon-office.mpnet.f16.npy`,
} as const
