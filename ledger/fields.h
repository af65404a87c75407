/* The field table of the XRPL binary format: for each field the engine
 * sends or reads (transactions, metadata, the ledger entries it inspects),
 * its serialized type code, field code, name and whether it is part of the
 * signing data.  Values from rippled's sfields.macro (as mirrored by
 * ripple-binary-codec 2.11.0 definitions.json).  Also the name <-> code
 * tables for TransactionType, LedgerEntryType and TransactionResult.
 * Pure; static data only. */
#ifndef XRPSE_LEDGER_FIELDS_H
#define XRPSE_LEDGER_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Serialized type codes.  Wire values: don't renumber. */
enum xl_stype {
	XL_ST_UINT16 = 1,
	XL_ST_UINT32 = 2,
	XL_ST_UINT64 = 3,
	XL_ST_HASH128 = 4,
	XL_ST_HASH256 = 5,
	XL_ST_AMOUNT = 6,
	XL_ST_BLOB = 7,
	XL_ST_ACCOUNT = 8,
	XL_ST_OBJECT = 14,
	XL_ST_ARRAY = 15,
	XL_ST_UINT8 = 16,
	XL_ST_HASH160 = 17,
	XL_ST_VECTOR256 = 19,
};

struct xl_field {
	const char *name;
	enum xl_stype type;
	uint16_t code;
	bool signing; /* part of the single-signing data */
};

/* Lookups; NULL when the field is not in the table. */
const struct xl_field *xl_field_by_name(const char *name);
const struct xl_field *xl_field_by_id(unsigned type, unsigned code);
/* Iteration over the table (sorted canonically): i < xl_field_count(). */
size_t xl_field_count(void);
const struct xl_field *xl_field_at(size_t i);

/* True for the types written with a VL length prefix (Blob, AccountID,
 * Vector256). */
bool xl_stype_is_vl(enum xl_stype t);
/* Fixed width in bytes of the fixed-size types, 0 for the others. */
size_t xl_stype_width(enum xl_stype t);
/* Canonical order: negative when a sorts before b. */
int xl_field_cmp(const struct xl_field *a, const struct xl_field *b);

/* Name tables for the UInt fields whose JSON form is a name. */
enum xl_names {
	XL_NAMES_TX_TYPE,    /* TransactionType (UInt16) */
	XL_NAMES_ENTRY_TYPE, /* LedgerEntryType (UInt16) */
	XL_NAMES_TX_RESULT,  /* TransactionResult (UInt8) */
};
/* The name of `code`, or NULL when unknown. */
const char *xl_name_of(enum xl_names which, unsigned code);
/* The code of `name`; false when unknown. */
bool xl_code_of(enum xl_names which, const char *name, unsigned *code);
/* Which name table a field's JSON form uses; false for plain numbers. */
bool xl_field_names(const struct xl_field *f, enum xl_names *which);

#endif /* XRPSE_LEDGER_FIELDS_H */
