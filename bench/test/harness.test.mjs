// The harness cannot rot: run it in quick mode (a second or so per case) and check that it wrote
// a well-formed report with every row, and that each refresh stampede made exactly one refresh
// call. No timing is asserted: timings are what the harness measures, not what it must meet.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import {
  CLIENT_ROWS,
  ENDPOINT_ROWS,
  MEMORY_SIZES,
  MICRO_ROWS,
  STAMPEDE_MODES,
  STAMPEDE_SIZES,
  VERIFIER_ROWS,
} from '../src/lib/cases.mjs'

const HARNESS = fileURLToPath(new URL('../src/run.mjs', import.meta.url))
const LIMIT_MS = 200_000

/** The environment without tap's loaders and coverage hooks, so the harness runs as `pnpm bench` does. */
function cleanEnv() {
  const env = { ...process.env }
  for (const name of Object.keys(env)) {
    if (name === 'NODE_OPTIONS' || name === 'NODE_V8_COVERAGE' || /^_?TAP/i.test(name))
      delete env[name]
  }
  return env
}

function runHarness(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HARNESS, ...args], {
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGTERM'), LIMIT_MS)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

/**
 * Markdown tables by the `## ` heading they sit under; a second table under one heading gets
 * ` (2)` after it. Each is { header, separator, rows }.
 */
function tables(markdown) {
  const found = {}
  let heading = ''
  let block = []
  const flush = () => {
    if (block.length === 0) return
    const rows = block.map((line) =>
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    )
    found[found[heading] ? `${heading} (2)` : heading] = {
      header: rows[0],
      separator: rows[1],
      rows: rows.slice(2),
    }
    block = []
  }
  for (const line of markdown.split('\n')) {
    if (line.startsWith('|')) {
      block.push(line)
      continue
    }
    flush()
    if (line.startsWith('## ')) heading = line.slice(3)
  }
  flush()
  return found
}

const number = (cell) => Number(cell.replace(/[,×]/g, '').replace(/ B$/, ''))

const outDir = mkdtempSync(join(tmpdir(), 'baton-bench-test-'))
t.teardown(() => rmSync(outDir, { recursive: true, force: true }))
const run = await runHarness(['--quick', '--out', outDir])

t.test('a bad number in a flag stops the run at once, naming the flag', async (t) => {
  for (const [flag, value, kind] of [
    ['--rounds', '1.5', 'integer'],
    ['--seconds', 'abc', 'number'],
    ['--generations', '0', 'integer'],
  ]) {
    const bad = await runHarness(['--quick', '--out', outDir, flag, value])
    t.equal(bad.code, 2, `${flag} ${value}: exit code`)
    t.equal(bad.stdout, '', `${flag} ${value}: no report`)
    t.match(bad.stderr, `${flag} must be a positive ${kind}, not "${value}"`, `${flag} ${value}`)
  }
})

t.test('the quick run finishes on its own and writes its three files', async (t) => {
  t.equal(run.signal, null, `not killed after ${LIMIT_MS} ms`)
  t.equal(run.code, 0, run.stderr.split('\n').slice(-15).join('\n'))
  for (const file of ['RESULTS.md', 'ratios.svg', 'results.json'])
    t.ok(existsSync(join(outDir, file)), file)
})

const markdown = existsSync(join(outDir, 'RESULTS.md'))
  ? readFileSync(join(outDir, 'RESULTS.md'), 'utf8')
  : ''
const results = existsSync(join(outDir, 'results.json'))
  ? JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8'))
  : { redisMissing: 'no results.json' }
const found = tables(markdown)
const section = (prefix) =>
  Object.entries(found).find(([heading]) => heading.startsWith(prefix))?.[1]

t.test('the report printed is the report written', async (t) => {
  t.equal(run.stdout, markdown)
})

t.test(
  'every table is well formed: a header, a separator, rows as wide as the header',
  async (t) => {
    t.ok(Object.keys(found).length >= 7, `tables found: ${Object.keys(found).join('; ')}`)
    for (const [heading, { header, separator, rows }] of Object.entries(found)) {
      t.ok(
        separator.every((cell) => /^-+$/.test(cell)),
        `${heading}: separator`,
      )
      for (const row of rows) t.equal(row.length, header.length, `${heading}: ${row[0]}`)
    }
  },
)

/** Checks a measured row: every cell named in `numeric` is a finite number. */
function checkRows(t, table, expected, numeric, { failuresColumn } = {}) {
  t.ok(table, 'the table is there')
  if (!table) return
  for (const row of expected) {
    const cells = table.rows.find((candidate) => candidate[0] === row.label)
    t.ok(cells, `row: ${row.label}`)
    if (!cells) continue
    if (row.redis && results.redisMissing) {
      // Never silently skipped: the row stays, and says why it has no numbers.
      t.match(cells[1], /^unavailable: .+/, `${row.label} says why it is unavailable`)
      continue
    }
    for (const column of numeric) {
      const value = number(cells[column])
      t.ok(
        Number.isFinite(value) && value > 0,
        `${row.label}: ${table.header[column]} = ${cells[column]}`,
      )
    }
    if (failuresColumn !== undefined)
      t.equal(cells[failuresColumn], '0', `${row.label}: no failed request`)
  }
}

t.test(
  'case 1: a row for every app, with req/s, p99, CPU per request, ratios and no failed request',
  async (t) => {
    checkRows(t, section('1.'), VERIFIER_ROWS, [1, 2, 3, 4, 5], { failuresColumn: 6 })
  },
)

t.test('case 2: a row for every microbenchmark and both memory sizes', async (t) => {
  checkRows(t, section('2.'), MICRO_ROWS, [1, 2])
  const memory = found['2. Microbenchmarks (2)']
  t.ok(memory, 'the memory table is there')
  for (const sessions of MEMORY_SIZES) {
    const cells = memory?.rows.find((row) => number(row[0]) === sessions)
    t.ok(cells, `${sessions} sessions`)
    if (cells)
      for (const column of [1, 2, 3])
        t.ok(number(cells[column]) > 0, `${sessions}: ${memory.header[column]}`)
  }
})

t.test('case 3: a row for /refresh and /login on each store, with no failed request', async (t) => {
  checkRows(t, section('3.'), ENDPOINT_ROWS, [1, 2, 3, 4, 5], { failuresColumn: 6 })
})

t.test('case 4: a row for each client, with no failed request', async (t) => {
  checkRows(t, section('4.'), CLIENT_ROWS, [1, 2, 3, 4], { failuresColumn: 5 })
})

t.test('case 4 sets @baton/fetch against the least a token wrapper can be', async (t) => {
  t.match(
    markdown,
    /@baton\/fetch × the least a token wrapper can be: \d+\.\d\d× by req\/s, \d+\.\d\d× by CPU/,
  )
})

t.test(
  'case 5: every stampede made exactly one refresh call and got 200 for every request',
  async (t) => {
    const table = section('5.')
    t.ok(table, 'the table is there')
    for (const mode of STAMPEDE_MODES) {
      for (const n of STAMPEDE_SIZES) {
        const cells = table?.rows.find((row) => row[0] === String(n) && row[1] === mode.label)
        t.ok(cells, `N=${n}, ${mode.id}`)
        if (!cells) continue
        t.equal(cells[2], '1', `N=${n}, ${mode.id}: refresh calls`)
        t.equal(cells[4], `${n}/${n}`, `N=${n}, ${mode.id}: 200 answers`)
      }
    }
    for (const entry of results.stampedes ?? [])
      for (const stampede of entry.runs)
        t.equal(stampede.refreshCalls, 1, `N=${entry.n}, ${entry.mode}: results.json`)
  },
)

t.test('the targets table and the chart cover every target and ratio', async (t) => {
  const targets = section('Targets')
  t.ok(targets && targets.rows.length >= 9, 'nine targets or more')
  for (const row of targets?.rows ?? []) t.match(row[2], /^(met|\*\*not met\*\*)$/, row[0])
  const svg = existsSync(join(outDir, 'ratios.svg'))
    ? readFileSync(join(outDir, 'ratios.svg'), 'utf8')
    : ''
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>[\s\S]*<\/svg>\n$/)
  const bars = (svg.match(/<rect /g) ?? []).length - 1 // minus the background
  const measured = [...VERIFIER_ROWS, ...ENDPOINT_ROWS, ...CLIENT_ROWS].filter(
    (row) => !(row.redis && results.redisMissing),
  ).length
  t.equal(bars, measured, 'one bar per measured ratio')
})
