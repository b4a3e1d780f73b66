import Fastify from 'fastify';
import multipart from '@fastify/multipart';
const f = Fastify();
await f.register(multipart, { limits: { files: 2, fields: 10, parts: 12 } });
f.post('/u', async (req) => {
  const names = [];

  for await (const p of req.parts()) { names.push(p.fieldname); if (p.type==='file') p.file.resume(); }
  return { names };
});
await f.listen({ port: 0 });
const port = f.server.address().port;
for (const fn of ['x\ry.onnx', 'ok.onnx']) {
  const b='bnd';
  const body = Buffer.concat([Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="${fn}"\r\nContent-Type: application/octet-stream\r\n\r\n`,'latin1'), Buffer.alloc(100000, 1), Buffer.from(`\r\n--${b}--\r\n`)]);
  const ac = AbortSignal.timeout(3000);
  try { const r = await fetch(`http://127.0.0.1:${port}/u`, { method: 'POST', body, headers: { 'content-type': `multipart/form-data; boundary=${b}` }, signal: ac });
  console.log(JSON.stringify(fn), r.status, await r.text()); } catch (e) { console.log(JSON.stringify(fn), 'ERR', e.name); }
}
await f.close();
