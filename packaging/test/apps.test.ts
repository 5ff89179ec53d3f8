// The packed packages in standalone npm apps, one per module system a user's app may have, on
// Express 4 and on Express 5: each compiles (TypeScript under `strict`) and runs login → call →
// refresh → logout against its own server on 127.0.0.1:0.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { appSources, installRoot, type ExpressMajor } from './fixtures/paths.js'
import { run } from './fixtures/run.js'

interface App {
  name: string
  type: 'commonjs' | 'module'
  /** compilerOptions beyond the strict base; undefined for a JavaScript app. */
  compilerOptions?: Record<string, unknown>
  express: readonly ExpressMajor[]
}

const strict = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  esModuleInterop: true,
  skipLibCheck: true,
  target: 'ES2022',
  types: ['node'],
  rootDir: 'src',
  outDir: 'dist',
}

const apps: readonly App[] = [
  { name: 'commonjs-js', type: 'commonjs', express: [4, 5] },
  {
    name: 'commonjs-ts',
    type: 'commonjs',
    compilerOptions: { ...strict, module: 'commonjs' },
    express: [4, 5],
  },
  {
    name: 'esm-ts-nodenext',
    type: 'module',
    compilerOptions: { ...strict, module: 'nodenext' },
    express: [4, 5],
  },
  {
    name: 'esm-ts-bundler',
    type: 'module',
    compilerOptions: { ...strict, module: 'preserve', moduleResolution: 'bundler' },
    express: [5],
  },
]

const expected = {
  me: 'alice',
  apart: 'alice',
  rotated: true,
  afterRefresh: 200,
  beforeLogout: 200,
  afterLogout: 401,
  redisStore: 'function',
  fileStorage: 'function',
}

for (const major of [4, 5] as const) {
  for (const app of apps.filter((candidate) => candidate.express.includes(major))) {
    t.test(`Express ${major}, ${app.name}: login → call → refresh → logout`, async (t) => {
      const root = installRoot(major)
      const dir = join(root, app.name)
      mkdirSync(join(dir, 'src'), { recursive: true })
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: app.type }))
      let entry: string
      if (app.compilerOptions === undefined) {
        entry = join(dir, 'src', 'app.cjs')
        copyFileSync(join(appSources, 'flow.cjs'), entry)
      } else {
        copyFileSync(join(appSources, 'flow.ts'), join(dir, 'src', 'app.ts'))
        writeFileSync(
          join(dir, 'tsconfig.json'),
          JSON.stringify({ compilerOptions: app.compilerOptions, include: ['src'] }),
        )
        const compiled = await run(
          process.execPath,
          [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir],
          dir,
        )
        t.equal(compiled.stdout + compiled.stderr, '', 'tsc reports nothing')
        t.equal(compiled.status, 0, 'tsc succeeds')
        entry = join(dir, 'dist', 'app.js')
      }
      const result = await run(process.execPath, [entry], dir)
      t.equal(result.stderr, '', 'no warning, no error')
      t.equal(result.status, 0)
      const output = JSON.parse(result.stdout.trim() || '{}') as Record<string, unknown>
      t.match(output, expected)
      if (app.compilerOptions === undefined)
        t.equal(output.resolved, true, 'require() found the CommonJS builds')
    })
  }
}
