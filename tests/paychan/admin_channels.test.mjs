// The operator's commands on live channels, run by run-e2e.sh inside
// testnet/scripts/local-net.sh (the ledger stand-in, two connector
// stand-ins, two xrpse daemons): after alice pays bob, `xrpse accounts`,
// `channels` and `status` show her outgoing channel and bob's incoming one
// as the ledger has them; `xrpse close` closes alice's channel without
// deleting the account (the peer closes it on the ledger), and the next
// settlement opens a new channel and is credited to the drop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { env, json, rpc, until } from './peer.mjs';

const UNIT = BigInt(process.env.XRPSE_E2E_UNIT || '1');

// The --db of engine name, from local-net.sh's arguments file.
function dbOf(name) {
	const args = readFileSync(path.join(env('XRPSE_NET_DIR'), 'config',
					    `${name}.args`), 'utf8')
		.trim().split(/\s+/);
	return args[args.indexOf('--db') + 1];
}

function xrpse(...args) {
	const r = spawnSync(env('XRPSE_BIN'), args, { encoding: 'utf8' });
	return { code: r.status, stdout: r.stdout, stderr: r.stderr,
		 json: r.status === 0 && !args.includes('-H')
			 ? JSON.parse(r.stdout) : undefined };
}

async function onLedger(from, to) {
	const r = await rpc({ command: 'account_channels', account: from,
			      destination_account: to,
			      ledger_index: 'validated' });
	return r.result ? r.result.channels : [];
}

async function settle(drops) {
	const r = await json(`${env('CONNECTOR_A_CONTROL')}/accounts/b/settle`,
			     { amount: (drops * UNIT).toString(), wait: true });
	assert.equal(r.settlement.state, 'done', JSON.stringify(r.settlement));
}

const credited = async () => BigInt(
	(await json(`${env('CONNECTOR_B_CONTROL')}/accounts/a`)).credited);

test('accounts, channels, status and close on live channels', async () => {
	const alice = dbOf('alice'), bob = dbOf('bob');
	const acct = env('ENGINE_A_ACCOUNT');
	await settle(2000000n);
	const open = await until('alice\'s claim acknowledged', async () => {
		const r = xrpse('channels', '--db', alice);
		const o = (r.json || []).find((c) => c.direction === 'outgoing');
		return { ok: !!o && o.state === 'open' &&
			 BigInt(o.acked_drops) >= 2000000n, o };
	});
	const id = open.o.id;
	assert.match(id, /^[0-9A-F]{64}$/);
	assert.equal(open.o.peer, env('BOB_ADDRESS'));
	assert.equal(open.o.account, acct);
	const led = (await onLedger(env('ALICE_ADDRESS'), env('BOB_ADDRESS')))
		.find((c) => c.channel_id === id);
	assert.ok(led, 'the channel is on the ledger');
	assert.equal(open.o.amount_drops, led.amount);
	assert.equal(open.o.settle_delay, led.settle_delay);

	// accounts: alice's account, paired with bob, its outgoing channel.
	let r = xrpse('accounts', '--db', alice);
	assert.equal(r.code, 0, r.stderr);
	const a = r.json.find((x) => x.account === acct);
	assert.equal(a.paired, true);
	assert.equal(a.peer, env('BOB_ADDRESS'));
	assert.equal(a.outgoing.id, id);
	assert.ok(BigInt(a.outgoing.signed_drops) >= 2000000n);
	r = xrpse('accounts', '-H', '--db', alice);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, new RegExp(`${id} +open `));

	// bob holds the claim on the same channel, incoming.
	const inc = await until('bob\'s incoming record', async () => {
		const c = (xrpse('channels', '--db', bob).json || [])
			.find((x) => x.direction === 'incoming' && x.id === id);
		return { ok: !!c && c.amount_drops !== null &&
			 BigInt(c.best_claim_drops) >= 2000000n, c };
	});
	assert.equal(inc.c.peer, env('ALICE_ADDRESS'));
	r = xrpse('accounts', '--db', bob);
	const b = r.json.find((x) => x.incoming.some((c) => c.id === id));
	assert.ok(b, 'bob\'s account lists the incoming channel');

	// status: drops locked in alice's channel; bob's balance known.
	r = xrpse('status', '--db', alice);
	assert.equal(r.code, 0, r.stderr);
	assert.ok(BigInt(r.json.locked_drops) > 0n, r.stdout);
	assert.ok(BigInt(r.json.balance_drops) > 0n, r.stdout);
	assert.ok(BigInt(r.json.reserve_drops) > 0n, r.stdout);
	assert.equal(r.json.rippled.connected, true);
	r = xrpse('status', '--db', bob);
	assert.equal(typeof r.json.claimable_drops, 'string');

	// close: the channel closes, the account stays.
	const before = await credited();
	r = xrpse('close', acct, '--db', alice);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.json.outgoing.state, 'closing');
	assert.equal(r.json.outgoing.closing_on_delete, false);
	r = xrpse('close', acct, '--db', alice);
	assert.equal(r.code, 1, 'closing already');
	assert.match(r.stderr, /closing, not open/);
	await until('the channel gone from the ledger', async () => ({
		ok: !(await onLedger(env('ALICE_ADDRESS'), env('BOB_ADDRESS')))
			.some((c) => c.channel_id === id),
	}), 60000);
	r = xrpse('accounts', '--db', alice);
	assert.equal(r.json.find((x) => x.account === acct).closed, false);

	// The next settlement opens a new channel and is credited.
	await settle(1000000n);
	const next = await until('a new channel', async () => {
		const o = (xrpse('channels', '--db', alice).json || [])
			.find((c) => c.direction === 'outgoing');
		return { ok: !!o && o.state === 'open' && o.id !== id, o };
	}, 60000);
	assert.notEqual(next.o.id, id);
	await until('the new settlement credited', async () => ({
		ok: (await credited()) >= before + 1000000n * UNIT,
	}), 60000);
});
