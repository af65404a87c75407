// Independent cross-check of the C codec and signing (tests/ledger):
// reads xcheck_gen's JSON lines on stdin and, with ripple-binary-codec and
// ripple-keypairs (testnet/node_modules), checks for every case that
//   decode(blob) deep-equals our JSON, encode(our JSON) === blob,
// and for signed transactions that the signature verifies over
// encodeForSigning() and that hash = SHA512Half("TXN\0" || blob).
// Exit 1 on the first mismatch.
'use strict';
const path = require('path');
const crypto = require('crypto');
const readline = require('readline');
const root = process.argv[2] || path.join(__dirname, '..', '..');
const nm = path.join(root, 'testnet', 'node_modules');
const codec = require(path.join(nm, 'ripple-binary-codec'));
const keypairs = require(path.join(nm, 'ripple-keypairs'));
const assert = require('assert');

let n = 0;
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const c = JSON.parse(line);
  try {
    assert.deepStrictEqual(codec.decode(c.blob), c.json);
    assert.strictEqual(codec.encode(c.json), c.blob);
    if (c.kind === 'tx') {
      const j = c.json;
      const data = codec.encodeForSigning(j);
      assert.ok(keypairs.verify(data, j.TxnSignature, j.SigningPubKey),
        'signature does not verify');
      const h = crypto.createHash('sha512')
        .update(Buffer.from('54584E00' + c.blob, 'hex')).digest('hex')
        .slice(0, 64).toUpperCase();
      assert.strictEqual(h, c.hash);
    }
  } catch (e) {
    console.error('xcheck: case ' + n + ' (' + c.kind + '): ' + e.message);
    console.error(line.slice(0, 2000));
    process.exit(1);
  }
  n++;
});
rl.on('close', () => {
  console.log('xcheck: ' + n + ' cases agree with ripple-binary-codec');
  if (n === 0) process.exit(1);
});
