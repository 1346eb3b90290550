// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the minisign key and signature parsers on arbitrary bytes. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "minisign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct minisign_pubkey pk;
	struct minisign_seckey sk;
	struct minisign_sig *sig = malloc(sizeof(*sig));
	enum minisign_fail why;
	char err[256];

	if (!sig)
		return 0;
	if (minisign_sig_parse((const char *)data, size, sig, err, sizeof(err)) == 0) {
		/* A parsed signature against a zero key must fail, never crash. */
		memset(&pk, 0, sizeof(pk));
		memcpy(pk.keyid, sig->keyid, sizeof(pk.keyid));
		minisign_verify(sig, &pk, data, size, true, &why, err, sizeof(err));
	}
	free(sig);
	minisign_pubkey_parse((const char *)data, size, &pk, err, sizeof(err));
	/* No password: an encrypted key stops before the (costly) KDF. */
	minisign_seckey_parse((const char *)data, size, NULL, &sk, err, sizeof(err));
	minisign_seckey_encrypted((const char *)data, size);
	return 0;
}
