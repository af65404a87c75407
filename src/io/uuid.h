/* Random UUIDv4 strings: ids the engine makes up for accounts created
 * without one, and Idempotency-Keys of the messages it sends. */
#ifndef XRPSE_SRC_UUID_H
#define XRPSE_SRC_UUID_H

/* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" plus the NUL. */
#define ENG_UUID_STRLEN 37

/* Writes a fresh random UUIDv4, lower-case, into out (libsodium's
 * randombytes; sodium_init must have run). */
void eng_uuid4(char out[ENG_UUID_STRLEN]);

#endif /* XRPSE_SRC_UUID_H */
