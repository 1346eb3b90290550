/* SPDX-License-Identifier: GPL-2.0-or-later */
/* minisign key and signature files: bounded parsers, writers, sign and verify. */
#ifndef MW_MINISIGN_H
#define MW_MINISIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MINISIGN_KEYID_BYTES	8
#define MINISIGN_PK_BYTES	32
#define MINISIGN_SK_BYTES	64
#define MINISIGN_SIG_BYTES	64
/* Longest untrusted comment line, prefix included (as minisign). */
#define MINISIGN_COMMENT_MAX	1024
/* Longest trusted comment line, prefix included (as minisign). */
#define MINISIGN_TRUSTED_MAX	8192
/* Largest scrypt memory limit a secret key file may ask for (minisign writes 1 GiB). */
#define MINISIGN_MEMLIMIT_MAX	(2ULL << 30)

struct minisign_pubkey {
	uint8_t keyid[MINISIGN_KEYID_BYTES];
	uint8_t pk[MINISIGN_PK_BYTES];
};

struct minisign_seckey {
	uint8_t keyid[MINISIGN_KEYID_BYTES];
	uint8_t sk[MINISIGN_SK_BYTES];	/* libsodium Ed25519: seed || pk */
};

struct minisign_sig {
	bool prehashed;			/* "ED": Ed25519 over BLAKE2b-512(file) */
	uint8_t keyid[MINISIGN_KEYID_BYTES];
	uint8_t sig[MINISIGN_SIG_BYTES];
	char trusted_comment[MINISIGN_TRUSTED_MAX];	/* without prefix, NUL-terminated */
	uint8_t global_sig[MINISIGN_SIG_BYTES];	/* over sig || trusted comment */
};

/* Why minisign_verify failed. */
enum minisign_fail {
	MINISIGN_FAIL_NONE = 0,
	MINISIGN_FAIL_LEGACY,		/* "Ed" signature but prehash required */
	MINISIGN_FAIL_KEYID,		/* signed by another key */
	MINISIGN_FAIL_SIG,		/* file signature does not verify */
	MINISIGN_FAIL_COMMENT,		/* global signature over the trusted comment fails */
};

/* Key ids print as minisign does: 16 upper-case hex digits of the LE u64. */
void minisign_keyid_hex(const uint8_t keyid[MINISIGN_KEYID_BYTES], char out[17]);

int minisign_keygen(struct minisign_pubkey *pk, struct minisign_seckey *sk);
/* Public key of a secret key. */
void minisign_seckey_pubkey(const struct minisign_seckey *sk, struct minisign_pubkey *pk);

/* A public key file ("untrusted comment:" line + base64 line) or a bare base64
 * line as given to minisign -P. 0, or -1 with a reason in err. */
int minisign_pubkey_parse(const char *text, size_t len, struct minisign_pubkey *pk,
			  char *err, size_t errsize);
/* The two-line public key file, NUL-terminated; out needs 128 bytes. */
int minisign_pubkey_format(const struct minisign_pubkey *pk, char *out, size_t outsize);

/* A secret key file. password may be NULL for an unencrypted key; an
 * encrypted key without a password fails with "password required". */
int minisign_seckey_parse(const char *text, size_t len, const char *password,
			  struct minisign_seckey *sk, char *err, size_t errsize);
/* Whether a secret key file is encrypted: 1, 0, or -1 when unreadable. */
int minisign_seckey_encrypted(const char *text, size_t len);
/* The two-line secret key file into a malloc'd string (*out). password NULL
 * writes an unencrypted key (kdf "\0\0", like minisign -W); otherwise scrypt
 * with the given limits (0, 0 = minisign's "sensitive" defaults). */
int minisign_seckey_format(const struct minisign_seckey *sk, const char *password,
			   uint64_t opslimit, uint64_t memlimit, char **out,
			   char *err, size_t errsize);
/* Create path (must not exist) with mode 0600 and write the secret key file. */
int minisign_seckey_write(const char *path, const struct minisign_seckey *sk,
			  const char *password, uint64_t opslimit, uint64_t memlimit,
			  char *err, size_t errsize);

/* A .minisig file: four bounded lines. 0, or -1 with a reason in err. */
int minisign_sig_parse(const char *text, size_t len, struct minisign_sig *sig,
		       char *err, size_t errsize);
/* Sign msg; *out gets the malloc'd .minisig text. untrusted_comment NULL gives
 * minisign's default. legacy true makes an "Ed" (non-prehashed) signature,
 * which only tests should want. The trusted comment must be one line. */
int minisign_sign(const struct minisign_seckey *sk, const uint8_t *msg, size_t len,
		  const char *trusted_comment, const char *untrusted_comment, bool legacy,
		  char **out, char *err, size_t errsize);
/* Verify sig over msg with pk: algorithm, key id, signature, then the global
 * signature over the trusted comment. 0, or -1 with *why and err set. */
int minisign_verify(const struct minisign_sig *sig, const struct minisign_pubkey *pk,
		    const uint8_t *msg, size_t len, bool require_prehash,
		    enum minisign_fail *why, char *err, size_t errsize);

#endif
