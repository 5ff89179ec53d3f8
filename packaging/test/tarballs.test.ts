// The tarballs as the registry would get them: @arethetypeswrong finds no problem in any
// resolution mode (so every attw profile passes: node16 and esm-only only ignore some of them),
// publint has nothing to say, not even a suggestion, and `npm publish --dry-run` is quiet.
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core'
import { readFileSync } from 'node:fs'
import { publint } from 'publint'
import t from 'tap'
import { packages, tarball, tarballDir } from './fixtures/paths.js'
import { run } from './fixtures/run.js'

for (const dir of packages) {
  const data = readFileSync(tarball(dir))

  t.test(
    `@baton/${dir}: attw finds no problem under node10, node16 (CJS and ESM) and bundler`,
    async (t) => {
      const result = await checkPackage(createPackageFromTarballData(new Uint8Array(data)))
      t.ok(result.types, 'the package ships types')
      t.same('problems' in result ? result.problems : ['no analysis'], [])
      t.ok(
        'entrypoints' in result && Object.keys(result.entrypoints).length > 1,
        'entry points were checked',
      )
    },
  )

  t.test(`@baton/${dir}: publint reports nothing, suggestions included`, async (t) => {
    const tarballBytes = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)
    const { messages } = await publint({
      pack: { tarball: tarballBytes },
      level: 'suggestion',
      strict: true,
    })
    t.same(messages, [])
  })

  t.test(`@baton/${dir}: npm publish --dry-run warns about nothing`, async (t) => {
    const result = await run('npm', ['publish', '--dry-run', tarball(dir)], tarballDir)
    t.equal(result.status, 0)
    // Not being logged in is this machine's state, not the package's: every other line counts.
    const complaints = result.stderr
      .split('\n')
      .filter((line) => /^npm (warn|error)/i.test(line))
      .filter((line) => !/requires you to be logged in/.test(line))
    t.same(complaints, [])
    t.match(result.stdout + result.stderr, /total files/, 'npm listed the tarball')
  })
}
