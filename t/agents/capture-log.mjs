// Capture logger for tools/test-agents.sh --capture: the mock nginx
// mirrors every request here; each one is appended to a JSON-lines file
// with its method, URI, every header (as nginx relayed them) and body.
// usage: node capture-log.mjs PORT FILE
import http from 'node:http';
import fs from 'node:fs';

const [port, file] = process.argv.slice(2);
let seq = 0;
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    let body = raw.toString('utf8');
    try { body = JSON.parse(body); } catch { /* kept as text */ }
    const headers = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
    fs.appendFileSync(file, JSON.stringify({
      seq: ++seq, time: new Date().toISOString(), method: req.method,
      uri: req.url, headers, body_bytes: raw.length,
      body: raw.length ? body : null,
    }) + '\n');
    res.writeHead(204);
    res.end();
  });
}).listen(Number(port), '127.0.0.1');
