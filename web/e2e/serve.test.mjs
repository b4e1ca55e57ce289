// How nginx serves the app, and that nothing else changed: headers, gzip,
// caching, the CSP as served; /docs, /health, /metrics and the API as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { URL, writeJSON } from './lib.mjs';

const get = (p, h = {}) => fetch(URL + p, { headers: h, redirect: 'manual' });

test('index.html: strict CSP, no-cache, security headers, gzip', async () => {
  const r = await get('/', { 'Accept-Encoding': 'gzip' });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  const csp = r.headers.get('content-security-policy');
  writeJSON('csp.json', { url: '/', 'content-security-policy': csp, 'cache-control': r.headers.get('cache-control') });
  const dir = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  assert.deepEqual(dir['script-src'], ["'self'"]);
  assert.deepEqual(dir['default-src'], ["'none'"]);
  assert.deepEqual(dir['frame-ancestors'], ["'none'"]);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  assert.equal(r.headers.get('content-encoding'), 'gzip');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('x-frame-options'), 'DENY');
  assert.match(r.headers.get('x-request-id'), /^[A-Za-z0-9._:-]+$/);
  const html = await r.text();
  assert.doesNotMatch(html, /<script>|<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son\w+=/i, 'no inline script, style or handler');
  const assets = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  assert.equal(assets.length, 3, 'icon, stylesheet, script');
  for (const a of assets) {
    assert.match(a, /-[A-Za-z0-9]{8}\.(js|css|svg)$/, 'hashed name');
    const ar = await get(a, { 'Accept-Encoding': 'gzip' });
    assert.equal(ar.status, 200, a);
    assert.equal(ar.headers.get('cache-control'), 'public, max-age=31536000, immutable', a);
    assert.equal(ar.headers.get('content-encoding'), 'gzip', `${a}: the precompressed .gz is served`);
    assert.equal(ar.headers.get('x-content-type-options'), 'nosniff');
    assert.match(ar.headers.get('content-type'), a.endsWith('.js') ? /^text\/javascript/ : a.endsWith('.css') ? /^text\/css/ : /^image\/svg\+xml/);
    const plain = await get(a, { 'Accept-Encoding': 'identity' });
    assert.equal(plain.headers.get('content-encoding'), null);
    await plain.arrayBuffer();
  }
});

test('a missing asset is nginx\'s 404 problem, not index.html', async () => {
  const r = await get('/assets/nope-00000000.js');
  assert.equal(r.status, 404);
  assert.match(r.headers.get('content-type'), /application\/problem\+json/);
  assert.equal((await r.json()).status, 404);
});

test('API, /docs, /health and /metrics are unchanged', async () => {
  let r = await get('/api/v1/tasks');
  assert.equal(r.status, 401);
  assert.match(r.headers.get('content-type'), /application\/problem\+json/);
  assert.equal(r.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'");
  r = await get('/health/live');
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { status: 'ok' });
  r = await get('/docs');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-security-policy'), /style-src 'unsafe-inline'; img-src data:/);
  await r.text();
  // /metrics has its own loopback listener (issue 10): the site's port says 404
  r = await get('/metrics');
  assert.equal(r.status, 404);
  await r.text();
  r = await get('/nope');
  assert.equal(r.status, 404);
  assert.match(r.headers.get('content-type'), /application\/problem\+json/);
});
