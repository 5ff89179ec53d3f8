// Where an app's time goes under load: `node src/profile.mjs [app] [--seconds S] [--match TEXT]`.
// Starts one app of case 1 under `node --cpu-prof` on the server core, loads it with autocannon
// from the client core, then prints the functions that took the most time (self and inclusive, as
// shares of the server's busy time) and, for `--match` (default: @baton/express's middleware), the
// functions beneath the first frame whose name and file contain that text.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { VERIFIER_APPS, newSecret } from './lib/apps.mjs'
import { startChild } from './lib/child.mjs'
import { CLIENT_CORE, SERVER_CORE, describePinning, pinSelf } from './lib/cpu.mjs'
import { load } from './lib/load.mjs'
import { startRedis } from './lib/redis.mjs'

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '5' },
    match: { type: 'string', default: 'express/dist/esm/verify.js' },
    top: { type: 'string', default: '25' },
  },
})
const app = positionals[0] ?? 'baton-lru'
if (!VERIFIER_APPS.some((candidate) => candidate.id === app)) {
  throw new Error(`app must be one of ${VERIFIER_APPS.map((candidate) => candidate.id).join(', ')}`)
}

pinSelf(CLIENT_CORE)
const dir = mkdtempSync(join(tmpdir(), 'baton-profile-'))
// The Redis apps get a private redis-server on the server core, as in a full run.
const redis = VERIFIER_APPS.find((candidate) => candidate.id === app).redis
  ? await startRedis()
  : undefined
try {
  if (redis && !redis.url) throw new Error(`${app} needs Redis: ${redis.unavailable}`)
  const child = await startChild('children/app-server.mjs', {
    core: SERVER_CORE,
    args: [app],
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    env: { BENCH_SECRET: newSecret(), BENCH_REDIS_URL: redis?.url ?? '', NODE_ENV: 'production' },
  })
  const url = `http://127.0.0.1:${child.ready.port}/api/data`
  const headers = child.ready.token ? { authorization: `Bearer ${child.ready.token}` } : {}
  await load({ url, headers, seconds: 2 })
  const result = await load({ url, headers, seconds: Number(flags.seconds) })
  await child.stop()
  const [file] = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'))
  console.log(`${app}: ${Math.round(result.rps)} req/s, p99 ${result.p99} ms; ${describePinning()}`)
  summarize(profile, { match: flags.match, top: Number(flags.top) })
} finally {
  if (redis?.url) await redis.stop()
  rmSync(dir, { recursive: true, force: true })
}

function summarize(profile, { match, top }) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map()
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id)
  const time = new Map()
  profile.samples.forEach((id, index) =>
    time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)),
  )
  const name = ({ callFrame: frame }) => {
    const file = frame.url
      .replace(/.*node_modules\/\.pnpm\/([^/]+)\/.*\/([^/]+)$/, '$1:$2')
      .replace(/.*\/(packages|bench)\//, '$1/')
    return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`
  }
  const self = new Map()
  const inclusive = new Map()
  const beneath = new Map()
  let busy = 0
  for (const [id, micros] of time) {
    const node = byId.get(id)
    if (['(idle)', '(program)'].includes(node.callFrame.functionName)) continue
    busy += micros
    self.set(name(node), (self.get(name(node)) ?? 0) + micros)
    const chain = []
    for (let at = id; at !== undefined; at = parent.get(at)) chain.push(name(byId.get(at)))
    const add = (map, names) => {
      for (const each of new Set(names)) map.set(each, (map.get(each) ?? 0) + micros)
    }
    add(inclusive, chain)
    const root = chain.findIndex((each) => each.includes(match))
    if (root !== -1) add(beneath, chain.slice(0, root + 1))
  }
  const print = (title, map) => {
    console.log(`\n${title}`)
    for (const [each, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${((100 * micros) / busy).toFixed(1).padStart(6)}%  ${each}`)
    }
  }
  console.log(`busy ${(busy / 1000).toFixed(0)} ms (idle excluded); shares of busy time:`)
  print('self', self)
  print('inclusive', inclusive)
  print(`beneath the first frame matching "${match}"`, beneath)
}
