/* A tiny scripted HTTP/1.1 server for the outbox and curl worker tests.
 *
 * One thread on 127.0.0.1 (a free port) serves one connection at a time:
 * it reads a request (headers and a Content-Length body), records it, and
 * answers with the next scripted response (Connection: close), or with the
 * default response when the script is empty.  A HANG response never
 * answers: the connection is held until the client gives up.  With
 * th_cache on it replays answers per Idempotency-Key. */
#ifndef XRPSE_TESTS_STORE_HTTPD_H
#define XRPSE_TESTS_STORE_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct th_server;

enum th_action { TH_REPLY, TH_HANG };

struct th_resp {
	enum th_action action;
	int status;
	const char *ctype; /* NULL: no Content-Type header */
	const char *body;  /* NULL: empty */
	size_t big;	   /* > 0: a body of this many 'x' instead */
};

struct th_req {
	char method[8];
	char path[256];
	char ctype[128];
	char accept[128];
	char key[600];
	bool has_key;
	uint8_t body[8192];
	size_t body_len;
	struct th_resp answer; /* what it was answered */
	bool replayed;	       /* from the cache (th_cache) */
};

/* Starts the server; aborts the test on failure. */
struct th_server *th_start(void);
int th_port(struct th_server *s);
/* Appends a response to the script. */
void th_script(struct th_server *s, struct th_resp r);
/* While on, a request whose Idempotency-Key was answered before gets that
 * answer again, errors included, without taking from the script (the
 * answer cache of interledger-rs). */
void th_cache(struct th_server *s, bool on);
/* The answer when the script is empty (initially 201 "RECEIVED"). */
void th_default(struct th_server *s, struct th_resp r);
/* Requests recorded so far, and a copy of the i-th. */
size_t th_count(struct th_server *s);
struct th_req th_get(struct th_server *s, size_t i);
/* Stops the thread and frees everything. */
void th_stop(struct th_server *s);

#endif
