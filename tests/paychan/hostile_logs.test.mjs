// A hostile peer against a real engine: log floods
// (docs/risks.md#log-floods).  Run by tests/paychan/run-e2e.sh
// (XRPSE_E2E_TEST); the scripted peer is tests/paychan/peer.mjs.
//
// last_claim and close_request are logged at INFO, a refused claim at
// UNUSUAL, one line per message: a peer sending them in a loop used to
// write a line each, as fast as its connector carried them.  Bob's engine
// must log at most a few per kind and window, and say how many it did
// not log (in the next line let through, or once the limit lifts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bobLog, claim, keypairs, openChannel, pairedAttacker, toEngine,
	 until } from './peer.mjs';

const N = 100;

// The lines of kind `what` for account id in bob's log, and how many
// lines the engine says it did not log.
function tally(id, what, kind) {
	let lines = 0, held = 0;
	for (const l of bobLog().split('\n')) {
		if (!l.includes(`${id}: `))
			continue;
		const flush = l.match(/: (\d+) (.+) lines not logged \(rate limit\)/);
		if (flush && flush[2] === kind) {
			held += Number(flush[1]);
			continue;
		}
		if (!what.test(l))
			continue;
		lines++;
		const note = l.match(/\((\d+) (.+) lines before it not logged\)/);
		if (note && note[2] === kind)
			held += Number(note[1]);
	}
	return { lines, held };
}

test('a peer\'s message loops are logged a few lines at a time, with counts',
	async () => {
		const { evil, id } = await pairedAttacker('noisy');
		const chan = await openChannel(evil, id, 7 * 86400);

		// Claims signed by another key: refused (UNUSUAL).
		const other = keypairs.deriveKeypair(keypairs.generateSeed({
			algorithm: 'ed25519' }));
		for (let i = 1; i <= N; i++) {
			const r = await claim(id, chan, BigInt(i), other);
			assert.equal(JSON.parse(r.body).accepted, false, r.body);
		}
		// last_claim and close_request (INFO).
		for (let i = 0; i < N; i++) {
			const r = await toEngine(id, { type: 'last_claim',
						       channel: chan });
			assert.equal(r.status, 201, r.body);
		}
		for (let i = 0; i < N; i++) {
			const r = await toEngine(id, { type: 'close_request',
						       channel: chan });
			assert.equal(r.status, 201, r.body);
		}

		const kinds = [
			[/claim \d+ on channel \S+ refused/, 'claim refusal'],
			[/the peer asked for its last claim/, 'last_claim'],
			[/the peer asked us to close its channel/,
			 'close_request'],
		];
		for (const [what, kind] of kinds) {
			const t = tally(id, what, kind);
			assert.ok(t.lines <= 15,
				  `${t.lines} ${kind} lines for ${N} messages`);
		}
		// Once the limit lifts, every message is accounted for.
		for (const [what, kind] of kinds)
			await until(`${kind}: all ${N} accounted for`,
				    async () => {
					    const t = tally(id, what, kind);
					    return { ok: t.lines + t.held === N,
						     t };
				    }, 30000);
	});
