// The report: markdown tables (stdout and RESULTS.md) and a hand-written SVG bar chart of the
// throughput ratios. A row that could not be measured says why in its cells; no row is dropped.
import {
  CLIENT_ROWS,
  ENDPOINT_ROWS,
  MICRO_ROWS,
  STAMPEDE_MODES,
  TARGETS,
  VERIFIER_ROWS,
} from './cases.mjs'

const DASH = '—'

const fixed = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : DASH)
const integer = (value) =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : DASH
const ratio = (value) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : DASH)

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

function unavailable(row, results, columns) {
  return [row.label, `unavailable: ${results.redisMissing}`, ...Array(columns - 2).fill(DASH)]
}

/** Whether every stampede round made exactly one refresh call and answered 200 to all. */
function stampedeHeld(entry) {
  return entry.runs.every((run) => run.refreshCalls === 1 && run.ok === entry.n)
}

export function targetRows(results) {
  const { throughput, memory, stampedes } = results
  const rows = []
  const check = (name, measured, met) => rows.push([name, measured, met ? 'met' : '**not met**'])
  const baton = throughput['baton-lru']
  const batonFetch = throughput.baton
  // Each throughput target twice: as stated (req/s), and by CPU time per request, which a
  // load generator that cannot saturate the server (or a busy machine) does not flatter.
  const both = (name, measured, cpu, target) => {
    check(`${name} (req/s)`, ratio(measured), measured >= target)
    check(`${name} (by CPU time per request)`, ratio(cpu), cpu >= target)
  }
  both(
    `@baton/express (LRU) ≥ ${TARGETS.batonVsNone}× the no-auth app`,
    baton?.ratio,
    baton?.cpuRatio,
    TARGETS.batonVsNone,
  )
  // Issue 21 asks this one by CPU time per request only: req/s flatters on two shared cores.
  check(
    `@baton/express (LRU) ≥ ${TARGETS.batonCpuVsNone}× the no-auth app (by CPU time per request)`,
    ratio(baton?.cpuRatio),
    baton?.cpuRatio >= TARGETS.batonCpuVsNone,
  )
  // Without Redis the row says why it is unavailable, and there is no target to judge.
  const cached = throughput['baton-redis-cached']
  if (cached) {
    both(
      `@baton/express (Redis + localCache) ≥ ${TARGETS.batonRedisCachedVsNone}× the no-auth app`,
      cached.ratio,
      cached.cpuRatio,
      TARGETS.batonRedisCachedVsNone,
    )
  }
  both(
    `@baton/express (LRU) ≥ ${TARGETS.batonVsExpressJwt}× express-jwt`,
    baton?.vsExpressJwt,
    baton?.cpuVsExpressJwt,
    TARGETS.batonVsExpressJwt,
  )
  both(
    `@baton/fetch ≥ ${TARGETS.fetchVsRaw}× raw fetch`,
    batonFetch?.ratio,
    batonFetch?.cpuRatio,
    TARGETS.fetchVsRaw,
  )
  both(
    `@baton/fetch ≥ ${TARGETS.fetchVsRaw}× raw fetch sending the same header by hand`,
    batonFetch?.vsRawHeader,
    batonFetch?.cpuVsRawHeader,
    TARGETS.fetchVsRaw,
  )
  for (const entry of memory) {
    check(
      `≤ 1 KiB per session in LruSessionStore at ${integer(entry.sessions)} sessions`,
      `${integer(entry.totalBytesPerSession)} B`,
      entry.totalBytesPerSession <= TARGETS.bytesPerSession,
    )
  }
  check(
    'exactly 1 refresh call per stampede, every N, every round',
    stampedes.every(stampedeHeld) ? '1 everywhere' : 'see table 5',
    stampedes.every(stampedeHeld),
  )
  return rows
}

export function renderMarkdown(results) {
  const { settings, environment: env, throughput, micro, memory, stampedes } = results
  const out = []
  out.push(
    `# Baton benchmarks (issue #6)${settings.mode === 'quick' ? ' — quick smoke run, not a measurement' : ''}`,
  )
  out.push('')
  out.push(
    [
      `- Run: ${env.startedAt}, ${settings.mode} mode, ${settings.rounds} interleaved round(s) of ${settings.seconds} s per server throughput case (tables 1 and 3); in each round the cases of one table run back to back, tables and rows in a new random order each round. Table 4: ${settings.clientGenerations} generation(s) of fresh client processes, each warmed up together for ${settings.clientWarmupSeconds} s, then ${settings.clientRounds} round(s) in which the clients take turns of ${settings.clientSeconds} s, in a new random order each round. ${env.durationSeconds.toFixed(0)} s in all.`,
      `- Machine: ${env.cpu}; Node ${env.node}; ${env.redis.startsWith('unavailable') ? `Redis ${env.redis}` : env.redis.split(' ').slice(0, 3).join(' ')}.`,
      `- Cores: ${env.pinning}. Load average (1/5/15 min) before ${env.loadAverage.before.join(' / ')}, after ${env.loadAverage.after.join(' / ')}: other work on the machine shows up as noise.`,
      `- Load: autocannon, ${env.connections} connections, pipelining 1, loopback. Throughput counts 2xx answers only; "failures" counts every non-2xx, error and timeout.`,
      "- Every figure is the median over rounds; every ratio is the median of per-round ratios (each against its baseline measured in the same round, seconds apart; table 3 against table 1's no-auth app).",
      '- "server CPU µs/req" is the app process\'s CPU time (user + system, from its own `process.cpuUsage()`) over the requests it received during the run; "× … by CPU" is the baseline\'s CPU per request over this row\'s, i.e. capacity per core relative to the baseline. Unlike req/s it does not depend on whether the load generator could saturate the server; like req/s, it moves with what else the machine is running.',
    ].join('\n'),
  )

  out.push(
    '',
    `## 1. Verifier throughput: GET ${'/api/data'} on otherwise identical Express 5 apps`,
    '',
  )
  out.push(
    table(
      ['app', 'req/s', 'p99 ms', '× no auth', 'server CPU µs/req', '× no auth by CPU', 'failures'],
      VERIFIER_ROWS.map((row) => throughputCells(row, throughput, results)),
    ),
  )
  out.push(
    '',
    'express-jwt and passport-jwt are configured as their READMEs show, with a string secret: jsonwebtoken then tries to parse the string as a PEM key on every verify, which is most of their cost. The KeyObject row shows express-jwt without that cost; @baton/express always uses a KeyObject, and additionally checks the session in its store on every request.',
  )
  const batonLru = throughput['baton-lru']
  if (batonLru?.vsShape !== undefined) {
    out.push(
      '',
      `The floor row is the @baton/express apps' shape with no verification: what Express itself charges for a router mounted at /auth, one more layer on the route and an error handler. @baton/express (LRU) × that floor: ${ratio(batonLru.vsShape)} by req/s, ${ratio(batonLru.cpuVsShape)} by CPU time per request (medians of per-round ratios).`,
    )
  }

  out.push('', '## 2. Microbenchmarks', '')
  out.push(
    table(
      ['operation', 'µs/op', 'ops/s'],
      MICRO_ROWS.map((row) => {
        const value = micro[row.id]
        if (value === undefined) return unavailable(row, results, 3)
        return [row.label, fixed(value, 1), integer(1e6 / value)]
      }),
    ),
  )
  out.push(
    '',
    'In-process, one call at a time (awaited), on the client core; median of interleaved batches.',
    '',
  )
  out.push(
    table(
      [
        'LruSessionStore sessions',
        'bytes/session (heapUsed)',
        'bytes/session (heap + array buffers)',
        'fill time s',
      ],
      memory.map((entry) => [
        integer(entry.sessions),
        integer(entry.heapBytesPerSession),
        integer(entry.totalBytesPerSession),
        fixed(entry.fillMs / 1000, 1),
      ]),
    ),
  )
  out.push(
    '',
    "Each size in its own `node --expose-gc` process: heap after `gc()` with the store full, minus before it was built, over the count. Sessions as a /login makes them: 128-bit sid, one user per session (the per-user index's worst case), no user claims, a 111-character browser User-Agent. lru-cache's per-slot typed arrays live outside the V8 heap, so the last column adds array buffers.",
  )

  out.push('', '## 3. Endpoint throughput', '')
  out.push(
    table(
      [
        'endpoint',
        'req/s',
        'p99 ms',
        '× no-auth GET',
        'server CPU µs/req',
        '× no-auth GET by CPU',
        'failures',
      ],
      ENDPOINT_ROWS.map((row) => throughputCells(row, throughput, results)),
    ),
  )
  out.push(
    '',
    'Each /refresh presents a refresh token never presented before (every connection puts the rotated token back into a pool), so each request is a real rotation. /login uses one username, so past 10 sessions each login also evicts the oldest (the default cap).',
  )

  out.push('', '## 4. @baton/fetch overhead: GET against a keep-alive node:http server', '')
  out.push(
    table(
      ['client', 'req/s', '× raw fetch', 'client CPU µs/req', '× raw fetch by CPU', 'failures'],
      CLIENT_ROWS.map((row) => {
        const entry = throughput[row.id]
        return [
          row.label,
          integer(entry?.rps),
          ratio(entry?.ratio),
          fixed(entry?.cpuPerRequest, 0),
          ratio(entry?.cpuRatio),
          entry ? failures(entry) : DASH,
        ]
      }),
    ),
  )
  out.push(
    '',
    `Each client: ${results.environment.connections} concurrent request loops, each reading the body to the end, in a process of its own (undici is optimized for the calls its process sees, so clients sharing one slow one another). Measured, the clients take turns, each with the client core to itself: clients sharing a core slow one another too, and the one with more code and data of its own pays more for each switch. They are warmed up together first, as a client process reaches its steady speed only after seconds of continuous load. Two processes running the same code settle a few percent apart and stay there, so the rounds are spread over ${results.settings.clientGenerations} generation(s) of fresh processes, and every median is over all of them. "client CPU" is the process's CPU time per completed request, the client's cost. The control row runs the same code as the first row: its distance from 1.00× is this run's resolution.`,
  )

  const batonFetch = throughput.baton
  if (batonFetch?.vsMinimalWrapper !== undefined) {
    out.push(
      '',
      `@baton/fetch × the least a token wrapper can be: ${ratio(batonFetch.vsMinimalWrapper)} by req/s, ${ratio(batonFetch.cpuVsMinimalWrapper)} by CPU time per request (medians of per-round ratios).`,
    )
  }

  out.push('', '## 5. Refresh stampede: N concurrent requests with an expired access token', '')
  out.push(
    table(
      ['N', 'how the token is expired', 'refresh calls', 'all done ms', '200 answers'],
      stampedes.map((entry) => {
        const mode = STAMPEDE_MODES.find((candidate) => candidate.id === entry.mode)
        const calls = [...new Set(entry.runs.map((run) => run.refreshCalls))]
        const worstOk = Math.min(...entry.runs.map((run) => run.ok))
        return [
          String(entry.n),
          mode.label,
          calls.length === 1
            ? String(calls[0])
            : `**${entry.runs.map((run) => run.refreshCalls).join(', ')}**`,
          fixed(median(entry.runs.map((run) => run.ms)), 1),
          worstOk === entry.n ? `${worstOk}/${entry.n}` : `**${worstOk}/${entry.n}**`,
        ]
      }),
    ),
  )
  out.push(
    '',
    `"refresh calls" counts POST /auth/refresh requests the server received, per stampede (every round shown if they differ).`,
  )

  out.push('', '## Targets', '')
  out.push(table(['target', 'measured', ''], targetRows(results)))
  out.push('', '![throughput ratios](ratios.svg)', '')
  return out.join('\n')
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

const escapeXml = (text) =>
  String(text).replace(
    /[<>&"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c],
  )

/** Horizontal bars: each throughput ratio against its baseline, with the targets marked. */
export function renderSvg(results) {
  const { throughput } = results
  const groups = [
    {
      title: 'Verifier req/s × no-auth app',
      rows: VERIFIER_ROWS,
      target: { id: 'baton-lru', value: TARGETS.batonVsNone },
      // The other target, 3× express-jwt, as a second mark on the same row.
      mark: {
        id: 'baton-lru',
        value: TARGETS.batonVsExpressJwt * (throughput['express-jwt']?.ratio ?? NaN),
        label: '3× express-jwt',
      },
    },
    { title: 'Endpoint req/s × no-auth GET', rows: ENDPOINT_ROWS },
    {
      title: 'Client req/s × raw fetch',
      rows: CLIENT_ROWS,
      target: { id: 'baton', value: TARGETS.fetchVsRaw },
    },
  ]
  const width = 880
  const labelWidth = 360
  const barArea = width - labelWidth - 80
  const marks = groups.map((group) => group.mark?.value).filter(Number.isFinite)
  const max = Math.max(1.2, ...marks, ...Object.values(throughput).map((entry) => entry.ratio ?? 0))
  const x = (value) => labelWidth + (Math.min(value, max) / max) * barArea
  const rowHeight = 26
  const parts = []
  let y = 40
  for (const group of groups) {
    parts.push(`<text x="12" y="${y}" font-weight="bold">${escapeXml(group.title)}</text>`)
    y += 10
    for (const row of group.rows) {
      const entry = throughput[row.id]
      const value = entry?.ratio
      const top = y
      parts.push(
        `<text x="${labelWidth - 8}" y="${top + 16}" text-anchor="end">${escapeXml(row.label)}</text>`,
      )
      if (Number.isFinite(value)) {
        const isTarget = group.target?.id === row.id
        const hasMark = group.mark?.id === row.id && Number.isFinite(group.mark.value)
        const met = value >= group.target?.value && !(hasMark && value < group.mark.value)
        const color = isTarget ? (met ? '#2e7d32' : '#c62828') : '#607d8b'
        parts.push(
          `<rect x="${labelWidth}" y="${top + 4}" width="${(x(value) - labelWidth).toFixed(1)}" height="${rowHeight - 8}" fill="${color}"/>`,
          `<text x="${(x(value) + 6).toFixed(1)}" y="${top + 16}">${value.toFixed(2)}×</text>`,
        )
        if (isTarget) {
          const marks = [{ value: group.target.value, label: `${group.target.value}×` }]
          if (hasMark) marks.push(group.mark)
          for (const mark of marks) {
            const at = x(mark.value).toFixed(1)
            parts.push(
              `<line x1="${at}" x2="${at}" y1="${top}" y2="${top + rowHeight}" stroke="#000" stroke-dasharray="3 2"/>`,
              `<text x="${at}" y="${top - 1}" text-anchor="middle" font-size="9" fill="#333">${escapeXml(mark.label)}</text>`,
            )
          }
        }
      } else {
        parts.push(`<text x="${labelWidth + 6}" y="${top + 16}" fill="#999">unavailable</text>`)
      }
      y += rowHeight
    }
    y += 24
  }
  const height = y + 10
  const one = x(1).toFixed(1)
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="12" y="20" font-size="14" font-weight="bold">Baton benchmarks: throughput ratios (median of per-round ratios; dashed = target)</text>`,
    `<line x1="${one}" x2="${one}" y1="28" y2="${height - 10}" stroke="#999"/>`,
    `<text x="${one}" y="${height - 2}" text-anchor="middle" fill="#666">1.0×</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}

/** One row of a server-throughput table (cases 1 and 3), or its "unavailable" row. */
function throughputCells(row, throughput, results) {
  const entry = throughput[row.id]
  if (entry === undefined) return unavailable(row, results, 7)
  return [
    row.label,
    integer(entry.rps),
    fixed(entry.p99, 0),
    ratio(entry.ratio),
    fixed(entry.cpuPerRequest, 0),
    ratio(entry.cpuRatio),
    failures(entry),
  ]
}

function failures(entry) {
  return entry.failures === 0 ? '0' : `**${entry.failures}**`
}
