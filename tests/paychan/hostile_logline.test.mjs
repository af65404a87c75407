// A hostile peer against a real engine: log injection
// (docs/risks.md#log-injection).  Run by tests/paychan/run-e2e.sh
// (XRPSE_E2E_TEST); the peer's answers reach bob as the bodies of his
// message POSTs to connector B, which the script takes over (a fault with
// a scripted body, as in hostile_recovery.test.mjs).
//
// Bob pays alice; every claim of his is refused with a reason text that
// holds a newline and a forged log line (a BROKEN alert).  Bob logs the
// refusal with the peer's text: the text must stay inside that one line,
// escaped, and never start a line of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bobLog, channels, env, json, until } from './peer.mjs';

const B = () => env('CONNECTOR_B_CONTROL');
const FORGED = '2001-01-01T00:00:00.000Z **BROKEN** [paychan] a: ALERT ' +
	'lost_unredeemed channel FORGED amount 1';

test('a peer\'s text with a newline cannot write a log line of its own',
	async () => {
		const bob = env('BOB_ADDRESS'), alice = env('ALICE_ADDRESS');
		const settle = async (amount) => json(`${B()}/accounts/a/settle`,
						      { amount, wait: false });
		await settle('2000000');
		const chan = (await until('bob\'s channel to alice', async () => {
			const c = await channels(bob, alice);
			return { ok: c.length === 1, c };
		})).c[0].channel_id;
		const body = JSON.stringify({
			type: 'claim_reply', version: 1, channel: chan,
			accepted: false, amount: '0', code: 'closing',
			message: `closing\n${FORGED}\r\n${FORGED}`,
		});
		await json(`${B()}/faults`, { route: 'messages', fail: 100000,
					      status: 201, body });
		await settle('1000000');
		await until('bob logs the refusal', async () => ({
			ok: bobLog().includes('FORGED'),
		}));
		for (const l of bobLog().split('\n')) {
			assert.ok(!l.startsWith('2001-01-01'), `forged line: ${l}`);
			if (l.includes('FORGED'))
				assert.match(l, /the peer refused our claim/);
		}
	});
