// Builds the browser client into server/static/ (the Python package ships it):
// assets named by their content hash, index.html pointing at them, and the service worker
// sw.js naming them and the release they make; each asset also brotli-compressed beside it
// (NAME.br, at the highest quality: too slow to do at each server start). The same sources and the same locked packages
// give the same bytes, so CI can rebuild and compare.
import * as esbuild from 'esbuild'
import { createHash } from 'node:crypto'
import { readFile, writeFile, rm, mkdir, readdir } from 'node:fs/promises'
import { brotliCompressSync, constants as zlib } from 'node:zlib'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
// `node build.mjs --out DIR` builds elsewhere (the staleness check compares the two).
const flag = process.argv.indexOf('--out')
const out = flag > 0 ? path.resolve(process.argv[flag + 1]) : path.resolve(here, '../../server/static')
const assets = path.join(out, 'assets')

await rm(out, { recursive: true, force: true })
await mkdir(assets, { recursive: true })
const result = await esbuild.build({
  absWorkingDir: here, // hashes depend on paths relative to it: fixed, whoever runs the build
  entryPoints: [path.join(here, 'src/boot.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  outdir: assets,
  entryNames: 'app-[hash]',
  chunkNames: 'chunk-[hash]', // what the page loads later (markdown.js), or shares with it
  splitting: true,
  assetNames: '[name]-[hash]',
  legalComments: 'eof',
  charset: 'utf8',
  metafile: true,
  logLevel: 'warning'
})
const outputs = Object.keys(result.metafile.outputs).map((file) => path.basename(file))
const [entry, built] = Object.entries(result.metafile.outputs).find(([, output]) => output.entryPoint)
const js = path.basename(entry)
const css = path.basename(built.cssBundle)
// The small entry (boot.js) runs main.js at once: main.js's chunk and every chunk it or the
// entry imports statically are fetched beside the entry, not one after another as each is
// read. Chunks main.js imports when needed (markdown.js) are not.
const needed = new Set()
const need = (file) => {
  for (const imported of result.metafile.outputs[file].imports) {
    if (imported.external || needed.has(imported.path)) continue
    if (imported.kind !== 'import-statement' && file !== entry) continue
    needed.add(imported.path)
    need(imported.path)
  }
}
need(entry)
const preloads = [...needed].sort()
  .map((file) => `<link rel="modulepreload" href="/assets/${path.basename(file)}">\n`)
const page = (await readFile(path.join(here, 'index.html'), 'utf8'))
  .replace('{{js}}', js).replace('{{css}}', css).replace('{{preloads}}\n', preloads.join(''))
await writeFile(path.join(out, 'index.html'), page)

// The service worker keeps this release (the page and every asset) in a cache named after
// it: a new release is a new worker, which replaces the cache.
const kept = [...outputs].sort()
const version = createHash('sha256').update(page).update(kept.join('\n')).digest('hex').slice(0, 16)
await esbuild.build({
  absWorkingDir: here,
  entryPoints: [path.join(here, 'src/sw.js')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  outfile: path.join(out, 'sw.js'),
  define: { PALABRE_VERSION: JSON.stringify(version), PALABRE_ASSETS: JSON.stringify(kept) },
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning'
})
// Brotli, for browsers that accept it (the server sends gzip to the others): the page's
// script is 13% smaller than with gzip at its best, 0.2 s of a 1 Mbit/s link.
for (const name of await readdir(assets)) {
  const raw = await readFile(path.join(assets, name))
  const packed = brotliCompressSync(raw, {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
      [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
      [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length
    }
  })
  await writeFile(path.join(assets, `${name}.br`), packed)
}
console.log(`built ${js}, ${css} and sw.js (release ${version}) into ${path.relative(process.cwd(), out)}`)
