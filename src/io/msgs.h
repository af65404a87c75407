/* The table of peer-message types: which handler answers a message
 * {"type": T, ...} that the peer engine sent through the connectors
 * (POST /accounts/:id/messages).  The payment-channel service registers
 * its types at start; the API looks the handler up and runs it inside the
 * batch transaction.  A fixed array: a handful of types, no allocation. */
#ifndef XRPSE_SRC_IO_MSGS_H
#define XRPSE_SRC_IO_MSGS_H

#include <jansson.h>
#include <stddef.h>

#include "src/util/err.h"

#define ENG_MSGS_MAX 16

/* A message handler's answer: status 201 (default) and body, malloc'd,
 * taken by the caller (NULL/0 for an empty body). */
struct eng_msg_reply {
	int status;
	char *body;
	size_t len;
};

/* Handles one peer-engine message of a registered type, inside the
 * batch's store transaction (under its own savepoint: an error undoes the
 * handler's writes).  msg is borrowed.  Returns XU_OK (reply filled), a
 * 100s code (400 with err's message), a 200s code (503), or a 300s code
 * (the whole batch fails with 500). */
typedef enum xu_code (*eng_msg_fn)(void *arg, const char *account, json_t *msg,
				   struct eng_msg_reply *reply,
				   struct xu_err *err);

struct eng_msgs {
	struct {
		const char *type;
		eng_msg_fn fn;
		void *arg;
	} t[ENG_MSGS_MAX];
	size_t n;
};

/* Registers fn for messages of type (borrowed: a string literal).  A
 * full table or a type registered twice is a programmer error. */
void eng_msgs_register(struct eng_msgs *m, const char *type, eng_msg_fn fn,
		       void *arg);
/* The handler for type and its *arg (nullable), or NULL. */
eng_msg_fn eng_msgs_lookup(const struct eng_msgs *m, const char *type,
			   void **arg);

#endif /* XRPSE_SRC_IO_MSGS_H */
