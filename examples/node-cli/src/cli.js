#!/usr/bin/env node
// baton-cli: see run.js, and README.md for a walk-through.
import { run } from './run.js'

process.exitCode = await run({
  argv: process.argv.slice(2),
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
})
