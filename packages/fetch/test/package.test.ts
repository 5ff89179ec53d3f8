// The package as its users get it: the main entry point never reaches a `node:` module (so it
// runs unbundled in a browser), and a CommonJS app on Node ≥ 20.19 can require() both entries.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Every module `entry` imports, transitively, by its relative and bare specifiers. */
function importGraph(entry: string): { files: Set<string>; external: Set<string> } {
  const files = new Set<string>()
  const external = new Set<string>()
  const visit = (file: string): void => {
    if (files.has(file)) return
    files.add(file)
    const source = readFileSync(file, 'utf8')
    for (const [, typeOnly, specifier] of source.matchAll(
      /^(?:import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm,
    )) {
      if (typeOnly || specifier === undefined) continue // erased at compile time
      if (specifier.startsWith('.'))
        visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
      else external.add(specifier)
    }
  }
  visit(entry)
  return { files, external }
}

t.test(
  'the main entry point imports nothing outside the package, and no node: module',
  async (t) => {
    const { files, external } = importGraph(join(root, 'src', 'index.ts'))
    t.same([...external], [], 'zero runtime dependencies, no node: built-ins')
    t.notOk(
      [...files].some((file) => file.endsWith('file-storage.ts')),
      'fileStorage stays in its own entry point',
    )
    t.ok(files.size > 5, 'the graph was actually walked')
    const { external: nodeOnly } = importGraph(join(root, 'src', 'file-storage.ts'))
    t.ok([...nodeOnly].every((specifier) => specifier.startsWith('node:')))
  },
)

t.test('the package declares no runtime dependencies', async (t) => {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >
  t.equal(manifest.dependencies, undefined)
  t.equal(manifest.peerDependencies, undefined)
})

// Runs the built package (the root `test` script builds first) in a plain CommonJS child.
t.test('a CommonJS app can require the built package', async (t) => {
  const script = `
    const { createAuthFetch, TokenSet } = require('@baton/fetch')
    const { fileStorage } = require('@baton/fetch/file-storage')
    const api = createAuthFetch({
      origins: ['https://api.test'],
      tokens: new TokenSet({ accessToken: 'cjs-token' }),
      fetch: async (input, init) => new Response(new Headers(init.headers).get('authorization')),
    })
    api.fetch('https://api.test/x').then((r) => r.text()).then((text) => {
      console.log(text, typeof fileStorage)
    })
  `
  const result = spawnSync(process.execPath, ['--input-type=commonjs', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    // The child runs dist/, whose source maps point at src/: its coverage would be counted
    // against src/ at the line numbers of the last build. Coverage is the in-process tests' job.
    env: withoutCoverage(process.env),
  })
  t.equal(result.stderr.replace(/^.*ExperimentalWarning.*\n.*--trace-warnings.*\n?/m, ''), '')
  t.equal(result.stdout.trim(), 'Bearer cjs-token function')
  t.equal(result.status, 0)
})

function withoutCoverage(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_V8_COVERAGE: _coverage, NODE_OPTIONS: _tapHooks, ...rest } = env
  return rest
}
