'use strict';
// A copy-on-write view over a ledger state map (key -> ledger object JSON), used
// to apply one transaction: reads see the transaction's own changes, nothing
// reaches the base map until commit(), and the recorded before/after pairs
// are turned into rippled-style metadata (AffectedNodes) by buildMeta().

const { clone, keylet } = require('./util');

// Metadata rules of rippled's SField meta flags, for the fields we model.
const NEVER_IN_META = new Set(['Indexes', 'LedgerEntryType', 'index']);
const THREAD_FIELDS = new Set(['PreviousTxnID', 'PreviousTxnLgrSeq']);
const THREADED_TYPES = new Set(['AccountRoot', 'PayChannel', 'DepositPreauth']);

class View {
  constructor(base) {
    this.base = base;
    this.changes = new Map(); // key -> object | null (erased)
    this.erased = new Map(); // key -> the object as it was erased
  }

  // Returns a private copy of the object at key, or undefined.
  read(key) {
    if (this.changes.has(key)) {
      const v = this.changes.get(key);
      return v === null ? undefined : clone(v);
    }
    return clone(this.base.get(key));
  }

  exists(key) {
    return this.read(key) !== undefined;
  }

  // Stores obj (the caller's copy becomes owned by the view).
  put(key, obj) {
    obj.index = key;
    this.changes.set(key, clone(obj));
    this.erased.delete(key);
  }

  // Erases the object at key, remembering it with this transaction's
  // changes for the metadata (a DeletedNode's FinalFields, as rippled).
  erase(key) {
    const last = this.read(key);
    this.changes.set(key, null);
    if (last !== undefined) this.erased.set(key, last);
  }

  commit() {
    for (const [k, v] of this.changes) {
      if (v === null) this.base.delete(k);
      else this.base.set(k, v);
    }
    this.changes.clear();
    this.erased.clear();
  }

  // Builds {AffectedNodes, TransactionIndex, TransactionResult}, threading
  // every touched object of a threaded type to this transaction (sets
  // PreviousTxnID/PreviousTxnLgrSeq in the view as rippled's threadItem does).
  buildMeta(txHash, ledgerSeq, txIndex, result) {
    // Owners of created/deleted objects are threaded too (threadOwners).
    const touched = [...this.changes.keys()];
    for (const k of touched) {
      const before = this.base.get(k);
      const after = this.changes.get(k);
      if (before && after) continue;
      const obj = after || before;
      for (const f of ['Account', 'Destination']) {
        if (obj.LedgerEntryType !== 'DirectoryNode' && typeof obj[f] === 'string') {
          const ak = keylet.account(obj[f]);
          if (!this.changes.has(ak) && this.base.has(ak)) this.changes.set(ak, clone(this.base.get(ak)));
        }
      }
    }
    const nodes = [];
    for (const [k, after] of this.changes) {
      const before = this.base.get(k);
      if (!before && after === null) continue;
      if (before && after) {
        const prev = {};
        for (const f of Object.keys(before)) {
          if (NEVER_IN_META.has(f) || THREAD_FIELDS.has(f)) continue;
          if (JSON.stringify(before[f]) !== JSON.stringify(after[f])) prev[f] = before[f];
        }
        const fin = {};
        for (const f of Object.keys(after)) {
          if (NEVER_IN_META.has(f) || THREAD_FIELDS.has(f)) continue;
          fin[f] = after[f];
        }
        const node = { FinalFields: fin, LedgerEntryType: after.LedgerEntryType, LedgerIndex: k };
        if (Object.keys(prev).length) node.PreviousFields = prev;
        if (THREADED_TYPES.has(after.LedgerEntryType)) {
          if (before.PreviousTxnID !== undefined) {
            node.PreviousTxnID = before.PreviousTxnID;
            node.PreviousTxnLgrSeq = before.PreviousTxnLgrSeq;
          }
          after.PreviousTxnID = txHash;
          after.PreviousTxnLgrSeq = ledgerSeq;
        }
        nodes.push({ ModifiedNode: node });
      } else if (after) {
        const nf = {};
        for (const f of Object.keys(after)) {
          if (NEVER_IN_META.has(f) || THREAD_FIELDS.has(f)) continue;
          if (isDefault(f, after[f])) continue;
          nf[f] = after[f];
        }
        if (THREADED_TYPES.has(after.LedgerEntryType)) {
          after.PreviousTxnID = txHash;
          after.PreviousTxnLgrSeq = ledgerSeq;
        }
        nodes.push({ CreatedNode: { LedgerEntryType: after.LedgerEntryType, LedgerIndex: k, NewFields: nf } });
      } else {
        // rippled: FinalFields from the object as erased (the state this
        // transaction left, thread fields included); PreviousFields the
        // original values of the fields it changed before erasing it.
        const last = this.erased.get(k) || before;
        const prev = {};
        for (const f of Object.keys(before)) {
          if (NEVER_IN_META.has(f) || THREAD_FIELDS.has(f)) continue;
          if (JSON.stringify(before[f]) !== JSON.stringify(last[f])) prev[f] = before[f];
        }
        const fin = {};
        for (const f of Object.keys(last)) {
          if (NEVER_IN_META.has(f)) continue;
          fin[f] = last[f];
        }
        const node = { FinalFields: fin, LedgerEntryType: before.LedgerEntryType, LedgerIndex: k };
        if (Object.keys(prev).length) node.PreviousFields = prev;
        nodes.push({ DeletedNode: node });
      }
    }
    nodes.sort((a, b) => {
      const ka = Object.values(a)[0].LedgerIndex;
      const kb = Object.values(b)[0].LedgerIndex;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    return { AffectedNodes: nodes, TransactionIndex: txIndex, TransactionResult: result };
  }
}

function isDefault(field, v) {
  if (field === 'Flags' || field === 'OwnerCount') return v === 0;
  if (field === 'Balance' && v === '0') return true;
  if ((field === 'OwnerNode' || field === 'DestinationNode') && (v === '0' || /^0+$/.test(v))) return true;
  return false;
}

module.exports = { View };
