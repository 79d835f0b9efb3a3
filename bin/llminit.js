#!/usr/bin/env node
let main
try {
  ;({ main } = await import('../dist/cli/index.js'))
} catch (err) {
  // No native addon for this platform: the message names it and says what to install.
  if (err?.code === 'ERR_LLMINIT_NO_BINDING') {
    console.error(err.message)
    process.exit(1)
  }
  throw err
}

process.exitCode = await main(process.argv)
