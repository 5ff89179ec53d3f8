// Runs every workspace's tap suite one after another (the machine has 2 cores; the suites start
// real servers, so running them side by side only makes them slower and noisier), streams their
// output, and ends with one line totalling tap's counts: `N passed, N failed`.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const workspaces = [
  'packages/express',
  'packages/fetch',
  'packages/redis-store',
  'examples/express-app',
  'examples/node-cli',
  'bench',
  // Last: the packed tarballs (attw, publint, npm publish --dry-run) and standalone npm apps.
  'packaging',
]
  .filter((dir) => existsSync(join(root, dir, 'package.json')))
  .filter((dir) => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).scripts?.test)

ensureSystemPackages()

let passed = 0
let failed = 0
let broken = []

for (const dir of workspaces) {
  console.log(`\n=== ${dir} ===`)
  const { code, summary } = await run(dir)
  if (summary) {
    passed += summary.pass
    failed += summary.fail
  }
  // A suite that exits non-zero without a failing assertion (coverage below 100%, a crash,
  // a type error) still fails the run: count it as one failure so the total cannot hide it.
  if (code !== 0) {
    broken.push(dir)
    if (!summary || summary.fail === 0) failed += 1
  }
}

if (broken.length > 0) console.log(`\nfailing suites: ${broken.join(', ')}`)
console.log(`\n${passed} passed, ${failed} failed`)
process.exitCode = failed === 0 && broken.length === 0 ? 0 : 1

function run(dir) {
  return new Promise((resolve) => {
    const child = spawn(join(root, dir, 'node_modules', '.bin', 'tap'), ['--reporter=tap'], {
      cwd: join(root, dir),
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let last = null
    let tail = ''
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk)
      tail = (tail + chunk.toString()).slice(-4096)
      for (const match of tail.matchAll(
        /^# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?[^}]*\}$/gm,
      )) {
        last = { total: Number(match[1]), pass: Number(match[2] ?? 0), fail: Number(match[3] ?? 0) }
      }
    })
    child.on('close', (code) => resolve({ code: code ?? 1, summary: last }))
  })
}

/**
 * The Redis store's tests start real redis-server processes and the demo's end-to-end tests drive
 * Debian's Chromium. On a fresh machine where we are root with apt-get (this project's machines
 * and CI), install what is missing; anywhere else, say exactly what to install rather than let
 * those suites fail one by one.
 */
function ensureSystemPackages() {
  const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0
  const missing = []
  if (!has('redis-server')) missing.push('redis-server')
  if (!has('redis-cli')) missing.push('redis-tools')
  if (!existsSync('/usr/bin/chromium')) missing.push('chromium')
  if (missing.length === 0) return
  const root = typeof process.getuid === 'function' && process.getuid() === 0
  if (!root || !has('apt-get')) {
    console.error(
      `The tests need ${missing.join(', ')}: install them (Debian: apt-get install -y ${missing.join(' ')}), then run the tests again.`,
    )
    process.exit(1)
  }
  console.log(`Installing ${missing.join(', ')} with apt-get: the tests run them for real.`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  for (const args of [
    ['update', '-q'],
    ['install', '-y', '-q', '--no-install-recommends', ...missing],
  ]) {
    if (spawnSync('apt-get', args, { stdio: 'inherit', env }).status !== 0) {
      console.error(
        `apt-get ${args[0]} failed: install ${missing.join(', ')} by hand, then run the tests again.`,
      )
      process.exit(1)
    }
  }
}
