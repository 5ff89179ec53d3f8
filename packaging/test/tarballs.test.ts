// The tarballs as the registry would get them: @arethetypeswrong finds no problem in any
// resolution mode (so every attw profile passes: node16 and esm-only only ignore some of them),
// publint has nothing to say, not even a suggestion, and `npm publish --dry-run` is quiet.
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core'
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { publint } from 'publint'
import t from 'tap'
import { packages, tarball, tarballDir, workRoot } from './fixtures/paths.js'
import { mustRun, run } from './fixtures/run.js'

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
}

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

for (const dir of packages) {
  t.test(`@baton/${dir}: the tarball is what a registry page and a stack trace need`, async (t) => {
    const unpacked = join(workRoot, 'unpacked', dir)
    mkdirSync(unpacked, { recursive: true })
    await mustRun('tar', ['-xzf', tarball(dir), '-C', unpacked], tarballDir)
    const root = join(unpacked, 'package')
    const files = filesUnder(root)
    for (const file of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json'])
      t.ok(files.includes(file), `ships ${file}`)
    t.match(readFileSync(join(root, 'LICENSE'), 'utf8'), /^MIT License/)
    t.same(
      files.filter((file) => /(^|\/)test\/|\.tsbuildinfo$|\.test\.ts$/.test(file)),
      [],
      'no tests, no build state',
    )

    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >
    t.match(manifest, {
      license: 'MIT',
      repository: { type: 'git', url: /^git\+https:\/\/.+\.git$/, directory: `packages/${dir}` },
      homepage: /^https:\/\//,
      bugs: { url: /^https:\/\// },
    })

    // The registry renders the README away from the repository: a relative link would break.
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '')
    t.ok(links.length > 0, 'the README has links')
    t.same(
      links.filter((link) => !/^(https?:\/\/|#|mailto:)/.test(link)),
      [],
      'every README link is absolute or an anchor',
    )

    // Source maps (and declaration maps) name files that are in the tarball.
    const maps = files.filter((file) => file.endsWith('.map'))
    t.ok(maps.length > 0, 'ships source maps')
    const unresolved = maps.flatMap((map) => {
      const { sources } = JSON.parse(readFileSync(join(root, map), 'utf8')) as { sources: string[] }
      return sources
        .map((source) => resolve(dirname(join(root, map)), source))
        .filter((source) => !existsSync(source))
        .map((source) => `${map} → ${relative(root, source)}`)
    })
    t.same(unresolved, [], 'every source a map names is shipped')
  })
}
