/* The field table and the name tables (see fields.h).  The tables were
 * extracted from ripple-binary-codec 2.11.0's definitions.json (which
 * mirrors rippled's sfields.macro, transactions.macro, ledger_entries.macro
 * and TER.h) and are kept sorted by (type, field code). */
#include "ledger/fields.h"

#include <string.h>

struct xl_name_code {
	const char *name;
	unsigned code;
};

static const struct xl_field fields[] = {
    {"LedgerEntryType", XL_ST_UINT16, 1, true},
    {"TransactionType", XL_ST_UINT16, 2, true},
    {"SignerWeight", XL_ST_UINT16, 3, true},
    {"TransferFee", XL_ST_UINT16, 4, true},
    {"NetworkID", XL_ST_UINT32, 1, true},
    {"Flags", XL_ST_UINT32, 2, true},
    {"SourceTag", XL_ST_UINT32, 3, true},
    {"Sequence", XL_ST_UINT32, 4, true},
    {"PreviousTxnLgrSeq", XL_ST_UINT32, 5, true},
    {"LedgerSequence", XL_ST_UINT32, 6, true},
    {"CloseTime", XL_ST_UINT32, 7, true},
    {"ParentCloseTime", XL_ST_UINT32, 8, true},
    {"SigningTime", XL_ST_UINT32, 9, true},
    {"Expiration", XL_ST_UINT32, 10, true},
    {"TransferRate", XL_ST_UINT32, 11, true},
    {"WalletSize", XL_ST_UINT32, 12, true},
    {"OwnerCount", XL_ST_UINT32, 13, true},
    {"DestinationTag", XL_ST_UINT32, 14, true},
    {"HighQualityIn", XL_ST_UINT32, 16, true},
    {"HighQualityOut", XL_ST_UINT32, 17, true},
    {"LowQualityIn", XL_ST_UINT32, 18, true},
    {"LowQualityOut", XL_ST_UINT32, 19, true},
    {"QualityIn", XL_ST_UINT32, 20, true},
    {"QualityOut", XL_ST_UINT32, 21, true},
    {"OfferSequence", XL_ST_UINT32, 25, true},
    {"FirstLedgerSequence", XL_ST_UINT32, 26, true},
    {"LastLedgerSequence", XL_ST_UINT32, 27, true},
    {"TransactionIndex", XL_ST_UINT32, 28, true},
    {"ReserveBase", XL_ST_UINT32, 31, true},
    {"ReserveIncrement", XL_ST_UINT32, 32, true},
    {"SetFlag", XL_ST_UINT32, 33, true},
    {"ClearFlag", XL_ST_UINT32, 34, true},
    {"SignerQuorum", XL_ST_UINT32, 35, true},
    {"CancelAfter", XL_ST_UINT32, 36, true},
    {"FinishAfter", XL_ST_UINT32, 37, true},
    {"SignerListID", XL_ST_UINT32, 38, true},
    {"SettleDelay", XL_ST_UINT32, 39, true},
    {"TicketCount", XL_ST_UINT32, 40, true},
    {"TicketSequence", XL_ST_UINT32, 41, true},
    {"IndexNext", XL_ST_UINT64, 1, true},
    {"IndexPrevious", XL_ST_UINT64, 2, true},
    {"BookNode", XL_ST_UINT64, 3, true},
    {"OwnerNode", XL_ST_UINT64, 4, true},
    {"BaseFee", XL_ST_UINT64, 5, true},
    {"ExchangeRate", XL_ST_UINT64, 6, true},
    {"LowNode", XL_ST_UINT64, 7, true},
    {"HighNode", XL_ST_UINT64, 8, true},
    {"DestinationNode", XL_ST_UINT64, 9, true},
    {"EmailHash", XL_ST_HASH128, 1, true},
    {"LedgerHash", XL_ST_HASH256, 1, true},
    {"ParentHash", XL_ST_HASH256, 2, true},
    {"TransactionHash", XL_ST_HASH256, 3, true},
    {"AccountHash", XL_ST_HASH256, 4, true},
    {"PreviousTxnID", XL_ST_HASH256, 5, true},
    {"LedgerIndex", XL_ST_HASH256, 6, true},
    {"WalletLocator", XL_ST_HASH256, 7, true},
    {"RootIndex", XL_ST_HASH256, 8, true},
    {"AccountTxnID", XL_ST_HASH256, 9, true},
    {"BookDirectory", XL_ST_HASH256, 16, true},
    {"InvoiceID", XL_ST_HASH256, 17, true},
    {"Nickname", XL_ST_HASH256, 18, true},
    {"Amendment", XL_ST_HASH256, 19, true},
    {"Digest", XL_ST_HASH256, 21, true},
    {"Channel", XL_ST_HASH256, 22, true},
    {"ConsensusHash", XL_ST_HASH256, 23, true},
    {"CheckID", XL_ST_HASH256, 24, true},
    {"Amount", XL_ST_AMOUNT, 1, true},
    {"Balance", XL_ST_AMOUNT, 2, true},
    {"LimitAmount", XL_ST_AMOUNT, 3, true},
    {"TakerPays", XL_ST_AMOUNT, 4, true},
    {"TakerGets", XL_ST_AMOUNT, 5, true},
    {"LowLimit", XL_ST_AMOUNT, 6, true},
    {"HighLimit", XL_ST_AMOUNT, 7, true},
    {"Fee", XL_ST_AMOUNT, 8, true},
    {"SendMax", XL_ST_AMOUNT, 9, true},
    {"DeliverMin", XL_ST_AMOUNT, 10, true},
    {"MinimumOffer", XL_ST_AMOUNT, 16, true},
    {"RippleEscrow", XL_ST_AMOUNT, 17, true},
    {"DeliveredAmount", XL_ST_AMOUNT, 18, true},
    {"PublicKey", XL_ST_BLOB, 1, true},
    {"MessageKey", XL_ST_BLOB, 2, true},
    {"SigningPubKey", XL_ST_BLOB, 3, true},
    {"TxnSignature", XL_ST_BLOB, 4, false},
    {"URI", XL_ST_BLOB, 5, true},
    {"Signature", XL_ST_BLOB, 6, false},
    {"Domain", XL_ST_BLOB, 7, true},
    {"FundCode", XL_ST_BLOB, 8, true},
    {"RemoveCode", XL_ST_BLOB, 9, true},
    {"ExpireCode", XL_ST_BLOB, 10, true},
    {"CreateCode", XL_ST_BLOB, 11, true},
    {"MemoType", XL_ST_BLOB, 12, true},
    {"MemoData", XL_ST_BLOB, 13, true},
    {"MemoFormat", XL_ST_BLOB, 14, true},
    {"Fulfillment", XL_ST_BLOB, 16, true},
    {"Condition", XL_ST_BLOB, 17, true},
    {"MasterSignature", XL_ST_BLOB, 18, false},
    {"Account", XL_ST_ACCOUNT, 1, true},
    {"Owner", XL_ST_ACCOUNT, 2, true},
    {"Destination", XL_ST_ACCOUNT, 3, true},
    {"Issuer", XL_ST_ACCOUNT, 4, true},
    {"Authorize", XL_ST_ACCOUNT, 5, true},
    {"Unauthorize", XL_ST_ACCOUNT, 6, true},
    {"RegularKey", XL_ST_ACCOUNT, 8, true},
    {"TransactionMetaData", XL_ST_OBJECT, 2, true},
    {"CreatedNode", XL_ST_OBJECT, 3, true},
    {"DeletedNode", XL_ST_OBJECT, 4, true},
    {"ModifiedNode", XL_ST_OBJECT, 5, true},
    {"PreviousFields", XL_ST_OBJECT, 6, true},
    {"FinalFields", XL_ST_OBJECT, 7, true},
    {"NewFields", XL_ST_OBJECT, 8, true},
    {"TemplateEntry", XL_ST_OBJECT, 9, true},
    {"Memo", XL_ST_OBJECT, 10, true},
    {"SignerEntry", XL_ST_OBJECT, 11, true},
    {"Signer", XL_ST_OBJECT, 16, true},
    {"Signers", XL_ST_ARRAY, 3, false},
    {"SignerEntries", XL_ST_ARRAY, 4, true},
    {"Template", XL_ST_ARRAY, 5, true},
    {"Necessary", XL_ST_ARRAY, 6, true},
    {"Sufficient", XL_ST_ARRAY, 7, true},
    {"AffectedNodes", XL_ST_ARRAY, 8, true},
    {"Memos", XL_ST_ARRAY, 9, true},
    {"CloseResolution", XL_ST_UINT8, 1, true},
    {"Method", XL_ST_UINT8, 2, true},
    {"TransactionResult", XL_ST_UINT8, 3, true},
    {"TickSize", XL_ST_UINT8, 16, true},
    {"TakerPaysCurrency", XL_ST_HASH160, 1, true},
    {"TakerPaysIssuer", XL_ST_HASH160, 2, true},
    {"TakerGetsCurrency", XL_ST_HASH160, 3, true},
    {"TakerGetsIssuer", XL_ST_HASH160, 4, true},
    {"Indexes", XL_ST_VECTOR256, 1, true},
    {"Hashes", XL_ST_VECTOR256, 2, true},
    {"Amendments", XL_ST_VECTOR256, 3, true},
};

/* Indexes into fields[] in strcmp order of their names. */
static const unsigned short by_name[] = {
    96, 52,  57,  119, 61, 131, 66,  100, 67,  43,  58,	 41,  33,  63,	65,
    31, 121, 10,  94,  64, 89,	104, 105, 75,  78,  98,	 47,  17,  62,	85,
    48, 44,  13,  88,  73, 108, 34,  25,  5,   93,  86,	 130, 72,  46,	18,
    19, 39,  40,  129, 59, 99,	26,  0,	  49,  54,  9,	 68,  71,  45,	20,
    21, 95,  111, 91,  92, 90,	120, 80,  122, 76,  106, 117, 4,   109, 60,
    24, 97,  16,  42,  11, 50,	107, 53,  8,   79,  22,	 23,  102, 87,	28,
    29, 77,  56,  74,  7,  30,	36,  84,  113, 115, 112, 35,  32,  2,	114,
    81, 12,  6,	  118, 70, 127, 128, 69,  125, 126, 116, 110, 124, 37,	38,
    51, 27,  103, 123, 1,  3,	14,  82,  83,  101, 55,	 15,
};

static const struct xl_name_code tx_types[] = {
    {"Payment", 0},
    {"EscrowCreate", 1},
    {"EscrowFinish", 2},
    {"AccountSet", 3},
    {"EscrowCancel", 4},
    {"SetRegularKey", 5},
    {"OfferCreate", 7},
    {"OfferCancel", 8},
    {"TicketCreate", 10},
    {"SignerListSet", 12},
    {"PaymentChannelCreate", 13},
    {"PaymentChannelFund", 14},
    {"PaymentChannelClaim", 15},
    {"CheckCreate", 16},
    {"CheckCash", 17},
    {"CheckCancel", 18},
    {"DepositPreauth", 19},
    {"TrustSet", 20},
    {"AccountDelete", 21},
    {"NFTokenMint", 25},
    {"NFTokenBurn", 26},
    {"NFTokenCreateOffer", 27},
    {"NFTokenCancelOffer", 28},
    {"NFTokenAcceptOffer", 29},
    {"Clawback", 30},
    {"AMMClawback", 31},
    {"AMMCreate", 35},
    {"AMMDeposit", 36},
    {"AMMWithdraw", 37},
    {"AMMVote", 38},
    {"AMMBid", 39},
    {"AMMDelete", 40},
    {"XChainCreateClaimID", 41},
    {"XChainCommit", 42},
    {"XChainClaim", 43},
    {"XChainAccountCreateCommit", 44},
    {"XChainAddClaimAttestation", 45},
    {"XChainAddAccountCreateAttestation", 46},
    {"XChainModifyBridge", 47},
    {"XChainCreateBridge", 48},
    {"DIDSet", 49},
    {"DIDDelete", 50},
    {"OracleSet", 51},
    {"OracleDelete", 52},
    {"LedgerStateFix", 53},
    {"MPTokenIssuanceCreate", 54},
    {"MPTokenIssuanceDestroy", 55},
    {"MPTokenIssuanceSet", 56},
    {"MPTokenAuthorize", 57},
    {"CredentialCreate", 58},
    {"CredentialAccept", 59},
    {"CredentialDelete", 60},
    {"NFTokenModify", 61},
    {"PermissionedDomainSet", 62},
    {"PermissionedDomainDelete", 63},
    {"DelegateSet", 64},
    {"VaultCreate", 65},
    {"VaultSet", 66},
    {"VaultDelete", 67},
    {"VaultDeposit", 68},
    {"VaultWithdraw", 69},
    {"VaultClawback", 70},
    {"Batch", 71},
    {"LoanBrokerSet", 74},
    {"LoanBrokerDelete", 75},
    {"LoanBrokerCoverDeposit", 76},
    {"LoanBrokerCoverWithdraw", 77},
    {"LoanBrokerCoverClawback", 78},
    {"LoanSet", 80},
    {"LoanDelete", 81},
    {"LoanManage", 82},
    {"LoanPay", 84},
    {"ConfidentialMPTConvert", 85},
    {"ConfidentialMPTMergeInbox", 86},
    {"ConfidentialMPTConvertBack", 87},
    {"ConfidentialMPTSend", 88},
    {"ConfidentialMPTClawback", 89},
    {"SponsorshipTransfer", 90},
    {"SponsorshipSet", 91},
    {"EnableAmendment", 100},
    {"SetFee", 101},
    {"UNLModify", 102},
};

static const struct xl_name_code entry_types[] = {
    {"NFTokenOffer", 55},
    {"Check", 67},
    {"DID", 73},
    {"NegativeUNL", 78},
    {"NFTokenPage", 80},
    {"SignerList", 83},
    {"Ticket", 84},
    {"AccountRoot", 97},
    {"DirectoryNode", 100},
    {"Amendments", 102},
    {"LedgerHashes", 104},
    {"Bridge", 105},
    {"Offer", 111},
    {"DepositPreauth", 112},
    {"XChainOwnedClaimID", 113},
    {"RippleState", 114},
    {"FeeSettings", 115},
    {"XChainOwnedCreateAccountClaimID", 116},
    {"Escrow", 117},
    {"PayChannel", 120},
    {"AMM", 121},
    {"MPTokenIssuance", 126},
    {"MPToken", 127},
    {"Oracle", 128},
    {"Credential", 129},
    {"PermissionedDomain", 130},
    {"Delegate", 131},
    {"Vault", 132},
    {"LoanBroker", 136},
    {"Loan", 137},
    {"Sponsorship", 144},
};

/* TransactionResult is a UInt8 on the wire: tec codes (100..255) and
 * tesSUCCESS (0) are the only ones that reach a ledger. */
static const struct xl_name_code results[] = {
    {"tesSUCCESS", 0},
    {"tecCLAIM", 100},
    {"tecPATH_PARTIAL", 101},
    {"tecUNFUNDED_ADD", 102},
    {"tecUNFUNDED_OFFER", 103},
    {"tecUNFUNDED_PAYMENT", 104},
    {"tecFAILED_PROCESSING", 105},
    {"tecDIR_FULL", 121},
    {"tecINSUF_RESERVE_LINE", 122},
    {"tecINSUF_RESERVE_OFFER", 123},
    {"tecNO_DST", 124},
    {"tecNO_DST_INSUF_XRP", 125},
    {"tecNO_LINE_INSUF_RESERVE", 126},
    {"tecNO_LINE_REDUNDANT", 127},
    {"tecPATH_DRY", 128},
    {"tecUNFUNDED", 129},
    {"tecNO_ALTERNATIVE_KEY", 130},
    {"tecNO_REGULAR_KEY", 131},
    {"tecOWNERS", 132},
    {"tecNO_ISSUER", 133},
    {"tecNO_AUTH", 134},
    {"tecNO_LINE", 135},
    {"tecINSUFF_FEE", 136},
    {"tecFROZEN", 137},
    {"tecNO_TARGET", 138},
    {"tecNO_PERMISSION", 139},
    {"tecNO_ENTRY", 140},
    {"tecINSUFFICIENT_RESERVE", 141},
    {"tecNEED_MASTER_KEY", 142},
    {"tecDST_TAG_NEEDED", 143},
    {"tecINTERNAL", 144},
    {"tecOVERSIZE", 145},
    {"tecCRYPTOCONDITION_ERROR", 146},
    {"tecINVARIANT_FAILED", 147},
    {"tecEXPIRED", 148},
    {"tecDUPLICATE", 149},
    {"tecKILLED", 150},
    {"tecHAS_OBLIGATIONS", 151},
    {"tecTOO_SOON", 152},
    {"tecMAX_SEQUENCE_REACHED", 154},
    {"tecNO_SUITABLE_NFTOKEN_PAGE", 155},
    {"tecNFTOKEN_BUY_SELL_MISMATCH", 156},
    {"tecNFTOKEN_OFFER_TYPE_MISMATCH", 157},
    {"tecCANT_ACCEPT_OWN_NFTOKEN_OFFER", 158},
    {"tecINSUFFICIENT_FUNDS", 159},
    {"tecOBJECT_NOT_FOUND", 160},
    {"tecINSUFFICIENT_PAYMENT", 161},
    {"tecUNFUNDED_AMM", 162},
    {"tecAMM_BALANCE", 163},
    {"tecAMM_FAILED", 164},
    {"tecAMM_INVALID_TOKENS", 165},
    {"tecAMM_EMPTY", 166},
    {"tecAMM_NOT_EMPTY", 167},
    {"tecAMM_ACCOUNT", 168},
    {"tecINCOMPLETE", 169},
    {"tecXCHAIN_BAD_TRANSFER_ISSUE", 170},
    {"tecXCHAIN_NO_CLAIM_ID", 171},
    {"tecXCHAIN_BAD_CLAIM_ID", 172},
    {"tecXCHAIN_CLAIM_NO_QUORUM", 173},
    {"tecXCHAIN_PROOF_UNKNOWN_KEY", 174},
    {"tecXCHAIN_CREATE_ACCOUNT_NONXRP_ISSUE", 175},
    {"tecXCHAIN_WRONG_CHAIN", 176},
    {"tecXCHAIN_REWARD_MISMATCH", 177},
    {"tecXCHAIN_NO_SIGNERS_LIST", 178},
    {"tecXCHAIN_SENDING_ACCOUNT_MISMATCH", 179},
    {"tecXCHAIN_INSUFF_CREATE_AMOUNT", 180},
    {"tecXCHAIN_ACCOUNT_CREATE_PAST", 181},
    {"tecXCHAIN_ACCOUNT_CREATE_TOO_MANY", 182},
    {"tecXCHAIN_PAYMENT_FAILED", 183},
    {"tecXCHAIN_SELF_COMMIT", 184},
    {"tecXCHAIN_BAD_PUBLIC_KEY_ACCOUNT_PAIR", 185},
    {"tecXCHAIN_CREATE_ACCOUNT_DISABLED", 186},
    {"tecEMPTY_DID", 187},
    {"tecINVALID_UPDATE_TIME", 188},
    {"tecTOKEN_PAIR_NOT_FOUND", 189},
    {"tecARRAY_EMPTY", 190},
    {"tecARRAY_TOO_LARGE", 191},
    {"tecLOCKED", 192},
    {"tecBAD_CREDENTIALS", 193},
    {"tecWRONG_ASSET", 194},
    {"tecLIMIT_EXCEEDED", 195},
    {"tecPSEUDO_ACCOUNT", 196},
    {"tecPRECISION_LOSS", 197},
    {"tecBAD_PROOF", 199},
    {"tecNO_SPONSOR_PERMISSION", 200},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(COUNT(by_name) == COUNT(fields), "by_name covers fields");

size_t xl_field_count(void)
{
	return COUNT(fields);
}

const struct xl_field *xl_field_at(size_t i)
{
	return i < COUNT(fields) ? &fields[i] : NULL;
}

const struct xl_field *xl_field_by_name(const char *name)
{
	size_t lo = 0, hi = COUNT(by_name);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct xl_field *f = &fields[by_name[mid]];
		int c = strcmp(name, f->name);
		if (c == 0)
			return f;
		if (c > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct xl_field *xl_field_by_id(unsigned type, unsigned code)
{
	size_t lo = 0, hi = COUNT(fields);
	while (lo < hi) { /* the table is sorted by (type, code) */
		size_t mid = lo + (hi - lo) / 2;
		const struct xl_field *f = &fields[mid];
		unsigned ft = (unsigned)f->type;
		if (ft == type && f->code == code)
			return f;
		if (ft < type || (ft == type && f->code < code))
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int xl_field_cmp(const struct xl_field *a, const struct xl_field *b)
{
	if (a->type != b->type)
		return (int)a->type < (int)b->type ? -1 : 1;
	if (a->code != b->code)
		return a->code < b->code ? -1 : 1;
	return 0;
}

bool xl_stype_is_vl(enum xl_stype t)
{
	return t == XL_ST_BLOB || t == XL_ST_ACCOUNT || t == XL_ST_VECTOR256;
}

size_t xl_stype_width(enum xl_stype t)
{
	switch (t) {
	case XL_ST_UINT8:
		return 1;
	case XL_ST_UINT16:
		return 2;
	case XL_ST_UINT32:
		return 4;
	case XL_ST_UINT64:
		return 8;
	case XL_ST_HASH128:
		return 16;
	case XL_ST_HASH160:
		return 20;
	case XL_ST_HASH256:
		return 32;
	case XL_ST_AMOUNT:
	case XL_ST_BLOB:
	case XL_ST_ACCOUNT:
	case XL_ST_OBJECT:
	case XL_ST_ARRAY:
	case XL_ST_VECTOR256:
		return 0;
	}
	return 0;
}

static const struct xl_name_code *table(enum xl_names which, size_t *n)
{
	switch (which) {
	case XL_NAMES_TX_TYPE:
		*n = COUNT(tx_types);
		return tx_types;
	case XL_NAMES_ENTRY_TYPE:
		*n = COUNT(entry_types);
		return entry_types;
	case XL_NAMES_TX_RESULT:
		*n = COUNT(results);
		return results;
	}
	*n = 0;
	return NULL;
}

const char *xl_name_of(enum xl_names which, unsigned code)
{
	size_t n;
	const struct xl_name_code *t = table(which, &n);
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}

bool xl_code_of(enum xl_names which, const char *name, unsigned *code)
{
	size_t n;
	const struct xl_name_code *t = table(which, &n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name)) {
			*code = t[i].code;
			return true;
		}
	return false;
}

bool xl_field_names(const struct xl_field *f, enum xl_names *which)
{
	if (!strcmp(f->name, "TransactionType"))
		*which = XL_NAMES_TX_TYPE;
	else if (!strcmp(f->name, "LedgerEntryType"))
		*which = XL_NAMES_ENTRY_TYPE;
	else if (!strcmp(f->name, "TransactionResult"))
		*which = XL_NAMES_TX_RESULT;
	else
		return false;
	return true;
}
