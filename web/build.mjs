// web/build.mjs -- build the web app into static files for nginx.
//
//   node build.mjs OUT_DIR
//
// Writes OUT_DIR/index.html and OUT_DIR/assets/<name>-<hash>.{js,css}, each
// with a gzip-compressed copy beside it (nginx: gzip_static), and refuses
// (exit 1) a bundle whose JavaScript is 100 KB or more gzipped. Prints the
// sizes. OUT_DIR is replaced as a whole: it is built beside it and swapped in.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { gzipSync, constants as zc } from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] || path.join(here, '..', 'var', 'web'));
const JS_GZ_BUDGET = 100 * 1024;

const tmp = fs.mkdtempSync(path.join(path.dirname(out), '.web-build-'));
try {
  const res = await build({
    entryPoints: [path.join(here, 'src', 'main.jsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: path.join(tmp, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const outputs = Object.keys(res.metafile.outputs).map((f) => path.basename(f));
  const js = outputs.find((f) => f.endsWith('.js'));
  const css = outputs.find((f) => f.endsWith('.css'));
  if (!js || !css) throw new Error('esbuild wrote no .js or no .css');

  // No inline script or style: the page's CSP is script-src 'self' and
  // style-src 'self'. The icon is a file too (img-src 'self').
  const icon = fs.readFileSync(path.join(here, 'src', 'icon.svg'));
  const iconName = `icon-${createHash('sha256').update(icon).digest('hex').slice(0, 8)}.svg`;
  fs.writeFileSync(path.join(tmp, 'assets', iconName), icon);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>taskman</title>
<link rel="icon" href="/assets/${iconName}" type="image/svg+xml">
<link rel="stylesheet" href="/assets/${css}">
<script type="module" src="/assets/${js}"></script>
</head>
<body>
<noscript>taskman needs JavaScript.</noscript>
<div id="app"></div>
</body>
</html>
`;
  fs.writeFileSync(path.join(tmp, 'index.html'), html);

  const sizes = [];
  const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]);
  for (const f of walk(tmp)) {
    const raw = fs.readFileSync(f);
    const gz = gzipSync(raw, { level: zc.Z_BEST_COMPRESSION });
    fs.writeFileSync(f + '.gz', gz);
    fs.chmodSync(f, 0o644);
    fs.chmodSync(f + '.gz', 0o644);
    sizes.push({ file: path.relative(tmp, f), raw: raw.length, gzip: gz.length });
  }
  fs.chmodSync(tmp, 0o755);
  fs.chmodSync(path.join(tmp, 'assets'), 0o755);

  const jsRaw = sizes.filter((s) => s.file.endsWith('.js')).reduce((a, s) => a + s.raw, 0);
  const jsGz = sizes.filter((s) => s.file.endsWith('.js')).reduce((a, s) => a + s.gzip, 0);
  for (const s of sizes) console.log(`web: ${s.file.padEnd(32)} ${String(s.raw).padStart(7)} B  gzip ${String(s.gzip).padStart(6)} B`);
  console.log(`web: JavaScript total ${jsRaw} B raw, ${jsGz} B gzipped (budget ${JS_GZ_BUDGET} B)`);
  if (jsGz >= JS_GZ_BUDGET) throw new Error(`JavaScript is ${jsGz} B gzipped, over the budget`);

  fs.rmSync(out + '.old', { recursive: true, force: true });
  if (fs.existsSync(out)) fs.renameSync(out, out + '.old');
  fs.renameSync(tmp, out);
  fs.rmSync(out + '.old', { recursive: true, force: true });
  console.log(`web: built into ${out}`);
} catch (e) {
  fs.rmSync(tmp, { recursive: true, force: true });
  console.error(`web: build failed: ${e.message}`);
  process.exit(1);
}
