// The CommonJS build lives in a package whose "type" is "module": a package.json of its own in
// dist/commonjs tells Node (and TypeScript) that its .js and .d.ts files are CommonJS. Written
// only when missing, so an unchanged tree stays unchanged (the warm build is a no-op).
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const file = join(process.cwd(), 'dist', 'commonjs', 'package.json')
if (!existsSync(file)) writeFileSync(file, '{\n  "type": "commonjs"\n}\n')
