#!/usr/bin/env node
'use strict';
/*
 * Command line for the connector stand-in (see connector.js and README.md):
 *
 *   node testnet/connector/server.js --port PORT --engine-url URL
 *        [--peer-url URL] [--flavor rs|java] [--threshold UNITS]
 *        [--settle-to UNITS] [--scale N] [--control-port PORT]
 *        [--expiry-ms MS] [--retries N] [--retry-delay-ms MS]
 *        [--retry-key same|fresh] [--engine-timeout-ms MS] [--name NAME]
 *        [--account NAME[:ID[:PEER]]]... [--log-max N]
 *        [--log-routes ROUTE[,ROUTE]...] [--verbose] [--no-error-cache]
 *
 * Prints one JSON line {"event":"listening",...} on stdout once both ports
 * are bound (use --port 0 for a free port), then runs until SIGINT/SIGTERM.
 */

const { Connector } = require('./connector');

const USAGE = `usage: node testnet/connector/server.js --port PORT --engine-url URL
       [--peer-url URL] [--flavor rs|java] [--threshold UNITS] [--settle-to UNITS]
       [--scale N] [--control-port PORT] [--expiry-ms MS] [--retries N]
       [--retry-delay-ms MS] [--retry-key same|fresh] [--engine-timeout-ms MS]
       [--name NAME] [--account NAME[:ID[:PEER]]]... [--log-max N]
       [--log-routes ROUTE[,ROUTE]...] [--verbose] [--no-error-cache]`;

function parseArgs(argv) {
	const o = { accounts: [] };
	const ints = new Set(['port', 'scale', 'control-port', 'expiry-ms',
			      'retries', 'retry-delay-ms', 'engine-timeout-ms',
			      'log-max']);
	const known = new Set([...ints, 'engine-url', 'peer-url', 'flavor',
			       'threshold', 'settle-to', 'retry-key', 'name',
			       'account', 'log-routes']);
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--verbose') {
			o.verbose = true;
			continue;
		}
		if (a === '--no-error-cache') {
			o['no-error-cache'] = true;
			continue;
		}
		if (a === '-h' || a === '--help') {
			process.stdout.write(USAGE + '\n');
			process.exit(0);
		}
		const m = a.match(/^--([a-z-]+)(?:=(.*))?$/);
		if (!m || !known.has(m[1]))
			throw new Error(`unknown argument ${a}`);
		let v = m[2];
		if (v === undefined) {
			if (i + 1 >= argv.length)
				throw new Error(`${a} needs a value`);
			v = argv[++i];
		}
		if (ints.has(m[1])) {
			if (!/^[0-9]+$/.test(v))
				throw new Error(`--${m[1]} must be a number`);
			v = Number(v);
		}
		if (m[1] === 'account')
			o.accounts.push(v);
		else
			o[m[1]] = v;
	}
	if (o.port === undefined)
		throw new Error('--port is required');
	if (!o['engine-url'])
		throw new Error('--engine-url is required');
	return o;
}

async function main() {
	let o;
	try {
		o = parseArgs(process.argv.slice(2));
	} catch (e) {
		process.stderr.write(`connector: ${e.message}\n${USAGE}\n`);
		process.exit(2);
	}
	const c = new Connector({
		port: o.port, engineUrl: o['engine-url'], peerUrl: o['peer-url'],
		flavor: o.flavor, threshold: o.threshold, settleTo: o['settle-to'],
		scale: o.scale, controlPort: o['control-port'],
		expiryMs: o['expiry-ms'], retries: o.retries,
		retryDelayMs: o['retry-delay-ms'], retryKey: o['retry-key'],
		engineTimeoutMs: o['engine-timeout-ms'], name: o.name,
		verbose: o.verbose, logMax: o['log-max'],
		logRoutes: o['log-routes'] === undefined ? undefined :
			   o['log-routes'].split(','),
		errorCache: !o['no-error-cache'],
	});
	await c.start();
	/* Accounts given on the command line are added without calling the
	 * engine (it may not be up yet); use the control API to create them
	 * on the engine. */
	for (const spec of o.accounts) {
		const [name, id, peer] = spec.split(':');
		await c.addAccount({ name, id: id || undefined,
				     peer: peer || undefined,
				     createOnEngine: false });
	}
	process.stdout.write(JSON.stringify({
		event: 'listening', flavor: c.flavor, port: c.port,
		controlPort: c.controlPort, url: c.url, controlUrl: c.controlUrl,
		accounts: [...c.accounts.values()].map((a) => ({ name: a.name,
								 id: a.engineId })),
	}) + '\n');
	const stop = async (sig) => {
		process.stderr.write(`connector: ${sig}, shutting down\n`);
		await c.stop();
		process.exit(0);
	};
	process.on('SIGINT', () => stop('SIGINT'));
	process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e) => {
	process.stderr.write(`connector: ${e.stack || e}\n`);
	process.exit(1);
});
