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

// The channel on both engines, by id, as the two `channels` list it.
async function channelOf(dbName, pred, what, ms = 60000) {
	return (await until(what, async () => {
		const c = (xrpse('channels', '--db', dbName).json || [])
			.find(pred);
		return { ok: !!c, c };
	}, ms)).c;
}

test('channel redeem, channel close [--force] by id, both directions', async () => {
	const alice = dbOf('alice'), bob = dbOf('bob');
	const acct = env('ENGINE_A_ACCOUNT'), bacct = env('ENGINE_B_ACCOUNT');
	// The open channel the first test's last settlement opened.
	const out = await channelOf(alice, (c) => c.direction === 'outgoing'
		&& c.state === 'open', 'alice\'s open channel');
	const id = out.id;
	let inc = await channelOf(bob, (c) => c.direction === 'incoming'
		&& c.id === id && c.balance_drops !== null
		&& BigInt(c.best_claim_drops) > BigInt(c.balance_drops),
		'bob holds an unredeemed claim');
	// --account lists that account's channels only.
	let r = xrpse('channels', '--account', acct, '--db', alice);
	assert.equal(r.code, 0, r.stderr);
	assert.ok(r.json.length >= 1);
	assert.ok(r.json.every((c) => c.account === acct));

	// redeem: an outgoing channel has nothing to redeem; bob redeems
	// his incoming one now (the policy would wait: XRPSE_REDEEM_FEE_PPM=0).
	r = xrpse('channel', 'redeem', id, '--db', alice);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /no incoming channel of that id/);
	r = xrpse('channel', 'redeem', id, '--db', bob);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.json.direction, 'incoming');
	assert.equal(r.json.channel.redeem_inflight, true);
	const best = BigInt(r.json.channel.best_claim_drops);
	// Again while it is in flight (or once it landed): refused, never a
	// second transaction.
	r = xrpse('channel', 'redeem', id, '--db', bob);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /in flight|nothing to redeem/);
	await until('the redeem on the ledger', async () => {
		const c = (await onLedger(env('ALICE_ADDRESS'), env('BOB_ADDRESS')))
			.find((x) => x.channel_id === id);
		return { ok: !!c && BigInt(c.balance) === best };
	}, 60000);
	inc = await channelOf(bob, (c) => c.id === id && !c.redeem_inflight
		&& BigInt(c.balance_drops) === best, 'bob\'s record redeemed');
	r = xrpse('channel', 'redeem', id, '--db', bob);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /nothing to redeem/);

	// close --force (outgoing): the peer is asked, and we close as owner
	// without the wait; then a close, `close ACCOUNT` or a second
	// --force is refused (closing already, or, the ledger being fast,
	// closed): never a second transaction.
	r = xrpse('channel', 'close', id, '--force', '-H', '--db', alice);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, new RegExp(`^outgoing channel ${id}: closing`));
	r = xrpse('channel', 'close', id, '--db', alice);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /closing already \(--force|closed, not open/);
	r = xrpse('close', acct, '--db', alice);
	assert.equal(r.code, 1);
	r = xrpse('channel', 'close', id, '--force', '--db', alice);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /under way already|closed, not open/);
	await until('the channel gone from the ledger', async () => ({
		ok: !(await onLedger(env('ALICE_ADDRESS'), env('BOB_ADDRESS')))
			.some((c) => c.channel_id === id),
	}), 60000);
	await channelOf(alice, (c) => c.id === id && c.state === 'closed',
		'alice\'s record closed');
	r = xrpse('channel', 'close', id, '--force', '--db', alice);
	assert.equal(r.code, 1);

	// close (incoming): bob closes the next channel as its payee,
	// redeeming what he holds; alice's account stays and pays again.
	await settle(1000000n);
	const next = await channelOf(alice, (c) => c.direction === 'outgoing'
		&& c.state === 'open' && c.id !== id, 'a new channel');
	const held = await channelOf(bob, (c) => c.id === next.id
		&& c.balance_drops !== null && BigInt(c.best_claim_drops) > 0n,
		'bob holds a claim on it');
	r = xrpse('channel', 'close', next.id, '--db', bob);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.json.direction, 'incoming');
	assert.equal(r.json.channel.state, 'closing');
	// Again: closing already (or, the ledger being fast, closed).
	r = xrpse('channel', 'close', next.id, '--force', '--db', bob);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /closing already|incoming channel is closed/);
	const led = await until('bob\'s close on the ledger', async () => ({
		ok: !(await onLedger(env('ALICE_ADDRESS'), env('BOB_ADDRESS')))
			.some((c) => c.channel_id === next.id),
	}), 60000);
	assert.ok(led.ok);
	const gone = await channelOf(bob, (c) => c.id === next.id
		&& c.state === 'closed', 'bob\'s record closed');
	assert.equal(gone.balance_drops, held.best_claim_drops);
	r = xrpse('accounts', '--db', bob);
	assert.equal(r.json.find((x) => x.account === bacct).closed, false);
	const before = await credited();
	await settle(1000000n);
	await until('paid again on a new channel', async () => ({
		ok: (await credited()) >= before + 1000000n * UNIT,
	}), 60000);

	// close (outgoing, by id): as `close ACCOUNT`; the account stays.
	const third = await channelOf(alice, (c) => c.direction === 'outgoing'
		&& c.state === 'open' && c.id !== next.id && c.id !== id,
		'a third channel');
	r = xrpse('channel', 'close', third.id, '--db', alice);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.json.direction, 'outgoing');
	assert.equal(r.json.channel.state, 'closing');
	assert.equal(r.json.channel.closing_on_delete, false);
	r = xrpse('channel', 'close', third.id, '--db', alice);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /closing already \(--force|closed, not open/);
	await until('the third channel gone from the ledger', async () => ({
		ok: !(await onLedger(env('ALICE_ADDRESS'), env('BOB_ADDRESS')))
			.some((c) => c.channel_id === third.id),
	}), 60000);
	r = xrpse('accounts', '--db', alice);
	assert.equal(r.json.find((x) => x.account === acct).closed, false);
});
