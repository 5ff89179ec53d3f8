// Every README sample that is a program (it imports something) compiles under `strict`, against
// the packed packages installed with npm: as an ES module (`nodenext`) and as CommonJS
// (`module: commonjs`, the sample's statements inside an async function, as CommonJS has no
// top-level await). Blocks without an import are signatures and fragments, not programs.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { appSources, installRoot, repoRoot } from './fixtures/paths.js'
import { run } from './fixtures/run.js'

const readmes = [
  'README.md',
  'packages/express/README.md',
  'packages/fetch/README.md',
  'packages/redis-store/README.md',
]

interface Sample {
  file: string
  readme: string
  line: number
  code: string
}

const samples: Sample[] = readmes.flatMap((readme) => {
  const text = readFileSync(join(repoRoot, readme), 'utf8')
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```/gm)]
    .filter((match) => /^import /m.test(match[1] ?? ''))
    .map((match, index) => ({
      file: `${readme.replace(/\/?README\.md$/, '').replace(/\//g, '-') || 'root'}-${index + 1}.ts`,
      readme,
      line: text.slice(0, match.index).split('\n').length + 1,
      code: match[1] ?? '',
    }))
})

/** The same statements, in an async function after the imports: CommonJS has no top-level await. */
function asCommonJs(code: string): string {
  const lines = code.split('\n')
  const imports = lines.filter((line) => line.startsWith('import '))
  const body = lines.filter((line) => !line.startsWith('import '))
  return [...imports, 'export {}', 'void (async () => {', ...body, '})()', ''].join('\n')
}

// A positive control: a handler after optional() may not read req.auth.sub unchecked. If strict
// mode or the typing were off, this would compile and the samples' success would prove nothing.
const control = `import express from 'express'
import { createAuth } from '@baton/express'
import type {} from '@baton/express/augment'
const auth = createAuth()
express().get('/feed', auth.optional(), (req, res) => res.json(req.auth.sub))
`

const systems = [
  {
    name: 'ESM (nodenext)',
    dir: 'readme-esm',
    type: 'module',
    module: { module: 'nodenext' },
    source: (code: string) => code,
  },
  {
    name: 'CommonJS (module: commonjs)',
    dir: 'readme-commonjs',
    type: 'commonjs',
    module: { module: 'commonjs' },
    source: asCommonJs,
  },
] as const

for (const system of systems) {
  t.test(`README samples as ${system.name}`, async (t) => {
    const root = installRoot(5)
    const dir = join(root, system.dir)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: system.type }))
    for (const file of ['globals.d.ts', 'users.ts'])
      copyFileSync(join(appSources, 'readme', file), join(dir, file))
    for (const sample of samples) writeFileSync(join(dir, sample.file), system.source(sample.code))
    writeFileSync(join(dir, 'control.ts'), system.source(control))
    const compilerOptions = {
      ...system.module,
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      esModuleInterop: true,
      skipLibCheck: true,
      noEmit: true,
      target: 'ES2022',
      lib: ['ES2023', 'DOM', 'DOM.Iterable'],
      types: ['node'],
    }
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, include: ['*.ts'] }),
    )
    const result = await run(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir],
      dir,
    )
    const errors = result.stdout.split('\n').filter((line) => /\): error TS/.test(line))
    t.ok(samples.length >= 10, `${samples.length} samples found`)
    for (const sample of samples) {
      t.same(
        errors.filter((line) => line.startsWith(`${sample.file}(`)),
        [],
        `${sample.readme}, the sample at line ${sample.line}`,
      )
    }
    t.match(
      errors.filter((line) => line.startsWith('control.ts(')),
      [/error TS18048: 'req.auth' is possibly 'undefined'/],
      'the control fails as it must: req.auth after optional() may be undefined',
    )
    t.same(
      errors.filter(
        (line) =>
          !samples.some((sample) => line.startsWith(`${sample.file}(`)) &&
          !line.startsWith('control.ts('),
      ),
      [],
      'no error elsewhere',
    )
  })
}
