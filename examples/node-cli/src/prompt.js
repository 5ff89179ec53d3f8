// Questions on a terminal (or on piped stdin), with answers that are never echoed when asked.
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'

/**
 * @param {object} [options]
 * @param {NodeJS.ReadableStream & { isTTY?: boolean }} [options.input] @default process.stdin
 * @param {NodeJS.WritableStream} [options.output] Where questions go. @default process.stderr
 * @param {boolean} [options.terminal] Whether `input` is a terminal. @default input.isTTY
 * @param {() => void} [options.onInterrupt] Ctrl-C while asking (the terminal is in raw mode, so
 *   no SIGINT reaches the process). @default exit with status 130
 */
export function createPrompter({
  input = process.stdin,
  output = process.stderr,
  terminal = Boolean(input.isTTY),
  onInterrupt = () => process.exit(130),
} = {}) {
  let muted = false
  // readline echoes what is typed to its output: this one drops the echo while muted.
  const echo = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) output.write(chunk)
      done()
    },
  })
  const readline = createInterface({ input, output: echo, terminal })
  readline.on('SIGINT', () => {
    output.write('\n')
    onInterrupt()
  })
  // Buffered: piped input may deliver every line before the first question is asked.
  const lines = readline[Symbol.asyncIterator]()

  /** @param {string} question @param {boolean} hidden */
  const ask = async (question, hidden) => {
    readline.setPrompt(question)
    readline.prompt()
    muted = hidden
    try {
      const { value, done } = await lines.next()
      if (done)
        throw new Error(
          'no answer on stdin (BATON_USERNAME and BATON_PASSWORD log in without asking)',
        )
      return value
    } finally {
      muted = false
      // A hidden answer's Enter was not echoed; piped answers are never echoed.
      if (hidden || !terminal) output.write('\n')
    }
  }

  return {
    /** @param {string} question */
    ask: (question) => ask(question, false),
    /** Asks without showing what is typed. @param {string} question */
    askHidden: (question) => ask(question, true),
    close: () => readline.close(),
  }
}
