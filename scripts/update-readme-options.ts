/** Rewrites the options table in README.md from `src/options.ts` (run: npm run docs:options). */
import { readFileSync, writeFileSync } from 'node:fs'
import { optionsMarkdown } from '../src/options.js'

const START = '<!-- options-table:start -->\n'
const END = '<!-- options-table:end -->'
const path = new URL('../README.md', import.meta.url)
const text = readFileSync(path, 'utf8')
const a = text.indexOf(START)
const b = text.indexOf(END)
if (a < 0 || b < a) throw new Error('README.md has no options-table markers')
writeFileSync(path, text.slice(0, a + START.length) + optionsMarkdown() + '\n' + text.slice(b))
