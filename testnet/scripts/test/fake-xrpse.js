#!/usr/bin/env node
'use strict';
/*
 * A stand-in for `xrpse run` used by local-net.test.js to exercise
 * local-net.sh's engine branch before the real daemon exists: it accepts
 * the flags setup-testnet.js writes, checks the seed file is readable,
 * listens on --listen and answers POST /accounts, .../settlements and
 * .../messages like a minimal engine.  Without the `run` argument (e.g.
 * when picked up by `node --test DIR`) it exits 0.
 */
const fs = require('fs');
const http = require('http');
const crypto = require('crypto');

if (process.argv[2] !== 'run')
	process.exit(0);
const o = {};
for (let i = 3; i < process.argv.length; i += 2)
	o[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const k of ['listen', 'connector-url', 'rippled-url', 'seed-file', 'db',
		 'network-id', 'key-type'])
	if (!o[k]) {
		process.stderr.write(`fake-xrpse: missing --${k}\n`);
		process.exit(2);
	}
fs.readFileSync(o['seed-file']);
const [host, port] = o.listen.split(':');
const srv = http.createServer((req, res) => {
	let b = '';
	req.on('data', (d) => { b += d; });
	req.on('end', () => {
		process.stdout.write(`${req.method} ${req.url} ${b}\n`);
		if (req.url === '/accounts') {
			const j = JSON.parse(b);
			res.writeHead(201, { 'content-type': 'application/json' });
			return res.end(JSON.stringify({ id: j.id || crypto.randomUUID() }));
		}
		if (req.url.endsWith('/messages')) {
			res.writeHead(201, { 'content-type': 'application/octet-stream' });
			return res.end(`${o.listen} got ${b}`);
		}
		res.writeHead(201, { 'content-type': 'application/json' });
		res.end(b);
	});
});
srv.listen(Number(port), host);
process.on('SIGTERM', () => srv.close(() => process.exit(0)));
