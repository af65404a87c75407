/* crypto/-internal: the one secp256k1 context, created and randomized by
 * cr_init() (crypto/sign.c).  Not for use outside crypto/. */
#ifndef XRPSE_CRYPTO_SECP_CTX_H
#define XRPSE_CRYPTO_SECP_CTX_H

#include <secp256k1.h>

/* The signing context.  Calling it before cr_init() is a programmer error
 * (aborts). */
const secp256k1_context *cr_secp_ctx(void);

#endif /* XRPSE_CRYPTO_SECP_CTX_H */
