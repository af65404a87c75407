'use strict';
/* testnet/scripts/free-ports.js: ports a test can bind and reach. */
const test = require('node:test');
const assert = require('node:assert/strict');
const { freePorts, ephemeralLow, LOW } = require('../free-ports');

test('distinct ports below the ephemeral range', async () => {
	const ports = await freePorts(20);
	assert.equal(new Set(ports).size, 20);
	for (const p of ports)
		assert.ok(p >= LOW && p < ephemeralLow(), String(p));
});

test('never a port fetch() refuses (10080), even when drawn', async () => {
	const hi = ephemeralLow();
	/* The first draw lands on 10080 exactly, then anywhere. */
	const draws = [(10080 - LOW + 0.5) / (hi - LOW)];
	const rand = () => (draws.length ? draws.shift() : Math.random());
	const [p] = await freePorts(1, rand);
	assert.notEqual(p, 10080);
	await assert.rejects(fetch('http://127.0.0.1:10080/'),
			     (e) => /bad port/.test(String(e.cause)));
});
