import { createRequire } from 'module';
const require = createRequire(import.meta.url);
const Busboy = require('@fastify/busboy');
const origEmit = Busboy.prototype.emit;
Busboy.prototype.emit = function (ev, ...a) { if (!['data'].includes(ev)) console.log('bb emit', ev, a[0] && a[0].message || ''); return origEmit.call(this, ev, ...a); };
const Fastify = (await import('fastify')).default;
const multipart = (await import('@fastify/multipart')).default;
const f = Fastify();
await f.register(multipart, { limits: { files: 2, fields: 10, parts: 12 } });
f.post('/u', async (req) => {
  const names = [];
  for await (const p of req.parts()) { names.push(p.fieldname); if (p.type==='file') p.file.resume(); }
  console.log('loop done');
  return { names };
});
await f.listen({ port: 0 });
const port = f.server.address().port;
for (const fn of ['x\ry.onnx']) {
  const b='bnd';
  const body = Buffer.concat([Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="${fn}"\r\nContent-Type: application/octet-stream\r\n\r\n`,'latin1'), Buffer.alloc(100000, 1), Buffer.from(`\r\n--${b}--\r\n`)]);
  try { const r = await fetch(`http://127.0.0.1:${port}/u`, { method: 'POST', body, headers: { 'content-type': `multipart/form-data; boundary=${b}` }, signal: AbortSignal.timeout(2000) });
  console.log(JSON.stringify(fn), r.status, await r.text()); } catch (e) { console.log(JSON.stringify(fn), 'ERR', e.name); }
}
await f.close();
