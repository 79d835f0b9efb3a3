/** Writes a file through a temporary sibling and a rename, so a crash never leaves half a file. */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join, basename } from 'node:path'
import { LlminitError } from '../errors.js'

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`)
  try {
    await mkdir(dirname(path), { recursive: true })
    await writeFile(tmp, data)
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw new LlminitError('ERR_LLMINIT_IO', `cannot write ${path}: ${(err as Error).message}`, { cause: err })
  }
}
