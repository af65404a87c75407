'use strict';
// Small shared helpers for the rippled stand-in: SHA-512Half and keylets,
// Ripple-epoch time, result-code tables (token -> code/message), account
// flag bits, and JSON helpers. Nothing here knows about ledgers or sockets.

const crypto = require('crypto');
const addr = require('ripple-address-codec');
const DEFS = require('ripple-binary-codec/dist/enums/definitions.json');

const RIPPLE_EPOCH = 946684800;

function sha512Half(hex) {
  return crypto.createHash('sha512').update(Buffer.from(hex, 'hex')).digest('hex').slice(0, 64).toUpperCase();
}

function accountIdHex(classic) {
  return Buffer.from(addr.decodeAccountID(classic)).toString('hex').toUpperCase();
}

function u32hex(n) {
  return (n >>> 0).toString(16).padStart(8, '0').toUpperCase();
}

// Keylets (ledger object keys) as rippled computes them.
const keylet = {
  account: (a) => sha512Half('0061' + accountIdHex(a)),
  ownerDir: (a) => sha512Half('004F' + accountIdHex(a)),
  payChannel: (src, dst, seq) => sha512Half('0078' + accountIdHex(src) + accountIdHex(dst) + u32hex(seq)),
  depositPreauth: (owner, auth) => sha512Half('0070' + accountIdHex(owner) + accountIdHex(auth)),
};

function txHash(blobHex) {
  return sha512Half('54584E00' + blobHex);
}

function isValidClassic(a) {
  return typeof a === 'string' && addr.isValidClassicAddress(a);
}

function isoTime(rippleSeconds) {
  return new Date((rippleSeconds + RIPPLE_EPOCH) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// Engine result tokens: numeric codes come from ripple-binary-codec's
// definitions; messages follow rippled's TER.cpp.
const RESULT_MESSAGES = {
  tesSUCCESS: 'The transaction was applied. Only final in a validated ledger.',
  tecUNFUNDED_PAYMENT: 'Insufficient XRP balance to send.',
  tecDIR_FULL: 'Can not add entry to full directory.',
  tecNO_DST: 'Destination does not exist. Send XRP to create it.',
  tecNO_DST_INSUF_XRP: 'Destination does not exist. Too little XRP sent to create it.',
  tecUNFUNDED: 'Not enough XRP to satisfy the reserve requirement.',
  tecINSUFF_FEE: 'Insufficient balance to pay fee.',
  tecNO_TARGET: 'Target account does not exist.',
  tecNO_PERMISSION: 'No permission to perform requested operation.',
  tecNO_ENTRY: 'No matching entry found.',
  tecINSUFFICIENT_RESERVE: 'Insufficient reserve to complete requested operation.',
  tecDST_TAG_NEEDED: 'A destination tag is required.',
  tecEXPIRED: 'Expiration time is passed.',
  tecDUPLICATE: 'Ledger object already exists.',
  tefALREADY: 'The exact transaction was already in this ledger.',
  tefBAD_AUTH: "Transaction's public key is not authorized.",
  tefBAD_LEDGER: 'Ledger in unexpected state.',
  tefINTERNAL: 'Internal error.',
  tefPAST_SEQ: 'This sequence number has already passed.',
  tefMASTER_DISABLED: 'Master key is disabled.',
  tefMAX_LEDGER: 'Ledger sequence too high.',
  tefWRONG_PRIOR: 'This previous transaction does not match.',
  tecNO_ALTERNATIVE_KEY: 'The operation would remove the ability to sign transactions with the account.',
  tefNOT_MULTI_SIGNING: "Account has no appropriate list of multi-signers.",
  telINSUF_FEE_P: 'Fee insufficient.',
  telWRONG_NETWORK: 'Transaction specifies a Network ID that differs from that of the local node.',
  telREQUIRES_NETWORK_ID: 'Transactions submitted to this node/network must include a correct NetworkID field.',
  telNETWORK_ID_MAKES_TX_NON_CANONICAL: 'Transactions submitted to this node/network must NOT include a NetworkID field.',
  temMALFORMED: 'Malformed transaction.',
  temBAD_AMOUNT: 'Malformed: Bad amount.',
  temBAD_CURRENCY: 'Malformed: Bad currency.',
  temBAD_EXPIRATION: 'Malformed: Bad expiration.',
  temBAD_FEE: 'Invalid fee, negative or not XRP.',
  temBAD_SEND_XRP_LIMIT: 'Malformed: Limit quality is not allowed for XRP to XRP.',
  temBAD_SEND_XRP_MAX: 'Malformed: Send max is not allowed for XRP to XRP.',
  temBAD_SEND_XRP_NO_DIRECT: 'Malformed: No Ripple direct is not allowed for XRP to XRP.',
  temBAD_SEND_XRP_PARTIAL: 'Malformed: Partial payment is not allowed for XRP to XRP.',
  temBAD_SEND_XRP_PATHS: 'Malformed: Paths are not allowed for XRP to XRP.',
  temBAD_SIGNATURE: 'Malformed: Bad signature.',
  temBAD_SRC_ACCOUNT: 'Malformed: Bad source account.',
  temCANNOT_PREAUTH_SELF: 'Malformed: An account may not preauthorize itself.',
  temDST_IS_SRC: 'Destination may not be source.',
  temDST_NEEDED: 'Destination not specified.',
  temINVALID: 'The transaction is ill-formed.',
  temINVALID_FLAG: 'The transaction has an invalid flag.',
  temREDUNDANT: 'The transaction is redundant.',
  temDISABLED: 'The transaction requires logic that is currently disabled.',
  temBAD_SIGNER: 'Malformed: No signer may duplicate account or other signers.',
  temUNKNOWN: 'The transaction requires logic that is not implemented yet.',
  terINSUF_FEE_B: "Account balance can't pay fee.",
  terNO_ACCOUNT: 'The source account does not exist.',
  terPRE_SEQ: 'Missing/inapplicable prior transaction.',
  terQUEUED: 'Held until escalated fee drops.',
  terRETRY: 'Retry transaction.',
  telLOCAL_ERROR: 'Local failure.',
  telCAN_NOT_QUEUE: 'Can not queue at this time.',
  telCAN_NOT_QUEUE_FULL: 'Can not queue at this time: queue is full.',
};

function resultCode(token) {
  const c = DEFS.TRANSACTION_RESULTS[token];
  if (c === undefined) throw new Error('unknown result ' + token);
  return c;
}

function resultMessage(token) {
  return RESULT_MESSAGES[token] || token;
}

// Result classes.
const isTes = (t) => t.startsWith('tes');
const isTec = (t) => t.startsWith('tec');
const isTem = (t) => t.startsWith('tem');

// AccountRoot flag bits.
const LSF = {
  passwordSpent: 0x00010000,
  requireDestinationTag: 0x00020000,
  requireAuthorization: 0x00040000,
  disallowIncomingXRP: 0x00080000,
  disableMasterKey: 0x00100000,
  noFreeze: 0x00200000,
  globalFreeze: 0x00400000,
  defaultRipple: 0x00800000,
  depositAuth: 0x01000000,
  disallowIncomingNFTokenOffer: 0x04000000,
  disallowIncomingCheck: 0x08000000,
  disallowIncomingPayChan: 0x10000000,
  disallowIncomingTrustline: 0x20000000,
  allowTrustLineLocking: 0x40000000,
  allowTrustLineClawback: 0x80000000,
};

function clone(o) {
  return o === undefined ? undefined : JSON.parse(JSON.stringify(o));
}

// Deterministic key order (rippled's Json::Value maps come out sorted).
function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) o[k] = sortKeys(v[k]);
    return o;
  }
  return v;
}

// Drops (decimal string of an integer) -> XRP as a JSON number without
// floating-point arithmetic on the amount itself.
function dropsToXrpNumber(drops) {
  const b = BigInt(drops);
  const neg = b < 0n;
  const a = neg ? -b : b;
  const whole = a / 1000000n;
  const frac = (a % 1000000n).toString().padStart(6, '0').replace(/0+$/, '');
  return Number((neg ? '-' : '') + whole.toString() + (frac ? '.' + frac : ''));
}

module.exports = {
  RIPPLE_EPOCH, sha512Half, accountIdHex, keylet, txHash, isValidClassic, isoTime,
  resultCode, resultMessage, isTes, isTec, isTem, LSF, clone, sortKeys, dropsToXrpNumber,
};
