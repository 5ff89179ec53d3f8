// The prompt on a (simulated) terminal: answers to askHidden are never echoed.
import { PassThrough } from 'node:stream'
import t from 'tap'
import { createPrompter } from '../src/prompt.js'

const terminal = (options = {}) => {
  const input = new PassThrough()
  const output = new PassThrough()
  let shown = ''
  output.on('data', (chunk) => (shown += chunk))
  const prompter = createPrompter({ input, output, terminal: true, ...options })
  t.teardown(() => prompter.close())
  return { input, prompter, shown: () => shown }
}

t.test('a hidden answer is read but not echoed; a visible one is', async (t) => {
  const { input, prompter, shown } = terminal()
  const username = prompter.ask('Username: ')
  input.write('alice\r')
  t.equal(await username, 'alice')
  const password = prompter.askHidden('Password: ')
  input.write('s3cret-pass\r')
  t.equal(await password, 's3cret-pass')
  t.match(shown(), 'Username: ')
  t.match(shown(), 'alice')
  t.match(shown(), 'Password: ')
  t.notMatch(shown(), 's3cret', 'the password is not echoed')
  t.ok(shown().endsWith('\n'), 'a newline after the hidden answer')
})

t.test('Ctrl-C while asking interrupts', async (t) => {
  let interrupted = false
  const { input, prompter } = terminal({ onInterrupt: () => (interrupted = true) })
  void prompter.askHidden('Password: ').catch(() => {})
  input.write('\x03')
  await new Promise((resolve) => setTimeout(resolve, 0))
  t.ok(interrupted)
})

t.test('piped input: answers given before the questions are not lost', async (t) => {
  const input = new PassThrough()
  const output = new PassThrough()
  let shown = ''
  output.on('data', (chunk) => (shown += chunk))
  input.end('alice\nalice-password\n')
  const prompter = createPrompter({ input, output })
  t.teardown(() => prompter.close())
  t.equal(await prompter.ask('Username: '), 'alice')
  t.equal(await prompter.askHidden('Password: '), 'alice-password')
  t.equal(shown, 'Username: \nPassword: \n')
  await t.rejects(prompter.ask('More? '), /no answer on stdin/)
})
