/** The `llminit` command: builds the program, one command per file, one error handler. */
import { createRequire } from 'node:module'
import { Command, CommanderError } from 'commander'
import { embedCommand } from './commands/embed.js'
import { quickstartCommand } from './commands/quickstart.js'
import { trainCommand } from './commands/train.js'
import { experimentCommand } from './commands/experiment.js'
import { coldstartCommand } from './commands/coldstart.js'
import { collapseCommand } from './commands/collapse.js'
import { EXIT, exitCodeFor } from './exit-codes.js'

const version: string = createRequire(import.meta.url)('../../package.json').version

export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController()
  const onSigint = () => {
    process.stderr.write('\ninterrupted: stopping at the next batch…\n')
    controller.abort()
  }
  process.once('SIGINT', onSigint)
  const program = new Command('llminit')
    .description('LLM item embeddings as a free lunch for collaborative filtering: train and evaluate recommenders')
    .version(version)
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      'after',
      `\nExit codes: ${EXIT.ok} ok, ${EXIT.internal} internal error, ${EXIT.usage} bad option, ${EXIT.data} bad data, ${EXIT.diverged} diverged, ${EXIT.unavailable} embedding source unavailable, ${EXIT.aborted} interrupted`,
    )
  program.addCommand(quickstartCommand(controller.signal).exitOverride())
  program.addCommand(trainCommand(controller.signal).exitOverride())
  program.addCommand(experimentCommand(controller.signal).exitOverride())
  program.addCommand(coldstartCommand(controller.signal).exitOverride())
  program.addCommand(collapseCommand(controller.signal).exitOverride())
  program.addCommand(embedCommand(controller.signal).exitOverride())
  try {
    await program.parseAsync(argv)
    return EXIT.ok
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage
    }
    const e = err as Error & { code?: string }
    process.stderr.write(`llminit: ${e.name === 'AbortError' ? 'aborted' : e.message}\n`)
    if (exitCodeFor(err) === EXIT.internal && e.stack) process.stderr.write(e.stack + '\n')
    return exitCodeFor(err)
  } finally {
    process.removeListener('SIGINT', onSigint)
  }
}
