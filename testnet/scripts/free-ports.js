#!/usr/bin/env node
'use strict';
/*
 * Picks free loopback TCP ports for test servers that must know each
 * other's ports before they start (engines, connectors):
 *
 *   node testnet/scripts/free-ports.js N      prints N ports, one line
 *   require('./free-ports').freePorts(n)      resolves to an array
 *
 * Why not port 0: a port from bind(0) is in the kernel's ephemeral range
 * and goes back to it when the probe closes, so the next server that binds
 * port 0 — the ledger stand-in of the same network, or any server of a
 * test running beside it — can be handed the same port before its intended
 * owner binds it (CI saw exactly that: the ledger took a connector's port).
 * Ports here are drawn at random from below the ephemeral range, where
 * bind(0) and outgoing connections never land, and each is probed by
 * binding it; only another picker drawing the same port within the same
 * seconds can collide.
 */
const fs = require('fs');
const net = require('net');

/* The lowest ephemeral port; ports are drawn from [LOW, that). */
const LOW = 10000;
/* Ports the WHATWG fetch standard blocks ("bad ports"): Node's fetch()
 * refuses to connect to them, so a server of ours there is unreachable
 * from a test (CI drew 10080 once).  The only one at or above LOW. */
const FETCH_BAD = new Set([10080]);

function ephemeralLow() {
	try {
		const lo = parseInt(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'), 10);
		if (Number.isInteger(lo) && lo > LOW + 1000 && lo <= 65535) return lo;
	} catch (e) {
		/* not Linux: IANA's dynamic range starts here */
	}
	return 49152;
}

function probe(port) {
	return new Promise((resolve) => {
		const s = net.createServer();
		s.once('error', () => resolve(false));
		s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
	});
}

/* Resolves to n distinct ports that could be bound just now; rand (a
 * Math.random stand-in) draws them. */
async function freePorts(n, rand = Math.random) {
	const hi = ephemeralLow();
	const out = [];
	for (let tries = 0; out.length < n; tries++) {
		if (tries > 1000) throw new Error('free-ports: no free port found');
		const port = LOW + Math.floor(rand() * (hi - LOW));
		if (!out.includes(port) && !FETCH_BAD.has(port) &&
		    (await probe(port)))
			out.push(port);
	}
	return out;
}

module.exports = { freePorts, ephemeralLow, LOW };

if (require.main === module) {
	const n = parseInt(process.argv[2] || '1', 10);
	if (!Number.isInteger(n) || n < 1 || n > 100) {
		console.error('usage: free-ports.js N   (1..100)');
		process.exit(2);
	}
	freePorts(n).then(
		(ports) => console.log(ports.join(' ')),
		(e) => {
			console.error(e.message);
			process.exit(1);
		});
}
