// SPDX-License-Identifier: GPL-2.0-or-later
/* minisign key and signature files: bounded parsers, writers, sign and verify. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "minisign.h"

#define UNTRUSTED_PREFIX	"untrusted comment: "
#define TRUSTED_PREFIX		"trusted comment: "
#define ALG_LEGACY		"Ed"
#define ALG_PREHASHED		"ED"
#define KDF_SCRYPT		"Sc"
#define CHK_BLAKE2B		"B2"

/* Binary layouts, all byte arrays so there is no padding. */
#define PUB_BYTES	(2 + MINISIGN_KEYID_BYTES + MINISIGN_PK_BYTES)		/* 42 */
#define SIGBLK_BYTES	(2 + MINISIGN_KEYID_BYTES + MINISIGN_SIG_BYTES)	/* 74 */
#define SALT_BYTES	32
#define KSK_BYTES	(MINISIGN_KEYID_BYTES + MINISIGN_SK_BYTES + 32)		/* 104 */
#define SEC_BYTES	(6 + SALT_BYTES + 8 + 8 + KSK_BYTES)			/* 158 */
#define SEC_OFF_SALT	6
#define SEC_OFF_OPS	(SEC_OFF_SALT + SALT_BYTES)
#define SEC_OFF_MEM	(SEC_OFF_OPS + 8)
#define SEC_OFF_KSK	(SEC_OFF_MEM + 8)
#define B64LEN(n)	(((n) + 2) / 3 * 4)

/* A cursor over newline-separated text; "\r\n" ends a line too. */
struct cursor {
	const char *buf;
	size_t len, pos;
	unsigned int lineno;
};

/* Next line without its terminator; -1 at the end of the text or when the line
 * is longer than max (then *l points at it and *ll is max + 1). */
static int next_line(struct cursor *c, size_t max, const char **l, size_t *ll)
{
	const char *nl;
	size_t n;

	if (c->pos >= c->len)
		return -1;
	*l = c->buf + c->pos;
	nl = memchr(*l, '\n', c->len - c->pos);
	n = nl ? (size_t)(nl - *l) : c->len - c->pos;
	c->pos += n + (nl ? 1 : 0);
	c->lineno++;
	if (n > 0 && (*l)[n - 1] == '\r')
		n--;
	if (n > max) {
		*ll = max + 1;
		return -1;
	}
	*ll = n;
	return 0;
}

/* Only blank lines may follow the last field. */
static int rest_blank(struct cursor *c)
{
	const char *l;
	size_t ll;

	while (c->pos < c->len) {
		if (next_line(c, 0, &l, &ll) < 0)
			return -1;
	}
	return 0;
}

/* Decode exactly n bytes from a base64 line of exactly B64LEN(n) characters. */
static int b64_exact(const char *s, size_t slen, uint8_t *out, size_t n)
{
	size_t got = 0;

	if (slen != B64LEN(n))
		return -1;
	if (sodium_base642bin(out, n, s, slen, NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || got != n)
		return -1;
	return 0;
}

static int b64_append(char *out, size_t outsize, size_t *pos, const uint8_t *bin, size_t n)
{
	size_t need = B64LEN(n) + 1;

	if (outsize - *pos < need + 1)
		return -1;
	sodium_bin2base64(out + *pos, need, bin, n, sodium_base64_VARIANT_ORIGINAL);
	*pos += need - 1;
	out[(*pos)++] = '\n';
	out[*pos] = '\0';
	return 0;
}

static int has_prefix(const char *l, size_t ll, const char *p)
{
	size_t pl = strlen(p);

	return ll >= pl && memcmp(l, p, pl) == 0;
}

static uint64_t le64_get(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void le64_put(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void minisign_keyid_hex(const uint8_t keyid[MINISIGN_KEYID_BYTES], char out[17])
{
	snprintf(out, 17, "%016llX", (unsigned long long)le64_get(keyid));
}

int minisign_keygen(struct minisign_pubkey *pk, struct minisign_seckey *sk)
{
	if (sodium_init() < 0)
		return -1;
	randombytes_buf(sk->keyid, sizeof(sk->keyid));
	if (crypto_sign_keypair(pk->pk, sk->sk) != 0)
		return -1;
	memcpy(pk->keyid, sk->keyid, sizeof(pk->keyid));
	return 0;
}

void minisign_seckey_pubkey(const struct minisign_seckey *sk, struct minisign_pubkey *pk)
{
	memcpy(pk->keyid, sk->keyid, sizeof(pk->keyid));
	crypto_sign_ed25519_sk_to_pk(pk->pk, sk->sk);
}

int minisign_pubkey_parse(const char *text, size_t len, struct minisign_pubkey *pk,
			  char *err, size_t errsize)
{
	struct cursor c = { text, len, 0, 0 };
	uint8_t bin[PUB_BYTES];
	const char *l;
	size_t ll;
	int ret = -1;

	if (sodium_init() < 0) {
		snprintf(err, errsize, "libsodium initialisation failed");
		goto out;
	}
	if (next_line(&c, MINISIGN_COMMENT_MAX, &l, &ll) < 0) {
		snprintf(err, errsize, "line 1: %s", c.lineno ? "line too long" : "empty public key");
		goto out;
	}
	/* A key file starts with a comment; a bare key (minisign -P) does not. */
	if (has_prefix(l, ll, UNTRUSTED_PREFIX)) {
		if (next_line(&c, B64LEN(PUB_BYTES), &l, &ll) < 0) {
			snprintf(err, errsize, "line 2: missing or over-long public key line");
			goto out;
		}
	} else if (has_prefix(l, ll, "untrusted comment:")) {
		snprintf(err, errsize, "line 1: expected \"%s\"", UNTRUSTED_PREFIX);
		goto out;
	}
	if (b64_exact(l, ll, bin, sizeof(bin)) < 0) {
		snprintf(err, errsize, "line %u: not a base64 public key of %u characters",
			 c.lineno, (unsigned int)B64LEN(PUB_BYTES));
		goto out;
	}
	if (memcmp(bin, ALG_LEGACY, 2) != 0) {
		snprintf(err, errsize, "line %u: unsupported public key algorithm", c.lineno);
		goto out;
	}
	if (rest_blank(&c) < 0) {
		snprintf(err, errsize, "line %u: unexpected text after the public key", c.lineno);
		goto out;
	}
	memcpy(pk->keyid, bin + 2, MINISIGN_KEYID_BYTES);
	memcpy(pk->pk, bin + 2 + MINISIGN_KEYID_BYTES, MINISIGN_PK_BYTES);
	ret = 0;
out:
	return ret;
}

int minisign_pubkey_format(const struct minisign_pubkey *pk, char *out, size_t outsize)
{
	uint8_t bin[PUB_BYTES];
	char hex[17];
	size_t pos;
	int n;

	minisign_keyid_hex(pk->keyid, hex);
	n = snprintf(out, outsize, UNTRUSTED_PREFIX "minisign public key %s\n", hex);
	if (n < 0 || (size_t)n >= outsize)
		return -1;
	pos = (size_t)n;
	memcpy(bin, ALG_LEGACY, 2);
	memcpy(bin + 2, pk->keyid, MINISIGN_KEYID_BYTES);
	memcpy(bin + 2 + MINISIGN_KEYID_BYTES, pk->pk, MINISIGN_PK_BYTES);
	return b64_append(out, outsize, &pos, bin, sizeof(bin));
}

/* BLAKE2b-256 over sig_alg || keyid || sk, as minisign checks a decrypted key. */
static void seckey_chk(const uint8_t *sec, uint8_t chk[32])
{
	crypto_generichash_state hs;

	crypto_generichash_init(&hs, NULL, 0, 32);
	crypto_generichash_update(&hs, sec, 2);
	crypto_generichash_update(&hs, sec + SEC_OFF_KSK, MINISIGN_KEYID_BYTES + MINISIGN_SK_BYTES);
	crypto_generichash_final(&hs, chk, 32);
}

/* XOR the key block with the scrypt stream of password and the file's salt. */
static int seckey_crypt(uint8_t *sec, const char *password)
{
	uint8_t stream[KSK_BYTES];
	unsigned int i;

	if (crypto_pwhash_scryptsalsa208sha256(stream, sizeof(stream), password, strlen(password),
					       sec + SEC_OFF_SALT, le64_get(sec + SEC_OFF_OPS),
					       (size_t)le64_get(sec + SEC_OFF_MEM)) != 0)
		return -1;
	for (i = 0; i < KSK_BYTES; i++)
		sec[SEC_OFF_KSK + i] ^= stream[i];
	sodium_memzero(stream, sizeof(stream));
	return 0;
}

/* Read the base64 line of a secret key file into sec. */
static int seckey_decode(const char *text, size_t len, uint8_t *sec, char *err, size_t errsize)
{
	struct cursor c = { text, len, 0, 0 };
	const char *l;
	size_t ll;

	if (next_line(&c, MINISIGN_COMMENT_MAX, &l, &ll) < 0 || !has_prefix(l, ll, UNTRUSTED_PREFIX)) {
		snprintf(err, errsize, "line 1: expected \"%s...\"", UNTRUSTED_PREFIX);
		return -1;
	}
	if (next_line(&c, B64LEN(SEC_BYTES), &l, &ll) < 0 || b64_exact(l, ll, sec, SEC_BYTES) < 0) {
		snprintf(err, errsize, "line 2: not a base64 secret key of %u characters",
			 (unsigned int)B64LEN(SEC_BYTES));
		return -1;
	}
	if (rest_blank(&c) < 0) {
		snprintf(err, errsize, "line %u: unexpected text after the secret key", c.lineno);
		return -1;
	}
	if (memcmp(sec, ALG_LEGACY, 2) != 0) {
		snprintf(err, errsize, "line 2: unsupported signature algorithm");
		return -1;
	}
	if (memcmp(sec + 4, CHK_BLAKE2B, 2) != 0) {
		snprintf(err, errsize, "line 2: unsupported checksum algorithm");
		return -1;
	}
	if (memcmp(sec + 2, KDF_SCRYPT, 2) != 0 && memcmp(sec + 2, "\0\0", 2) != 0) {
		snprintf(err, errsize, "line 2: unsupported key derivation function");
		return -1;
	}
	return 0;
}

int minisign_seckey_encrypted(const char *text, size_t len)
{
	uint8_t sec[SEC_BYTES];
	char err[8];
	int ret = -1;

	if (seckey_decode(text, len, sec, err, sizeof(err)) == 0)
		ret = memcmp(sec + 2, KDF_SCRYPT, 2) == 0;
	sodium_memzero(sec, sizeof(sec));
	return ret;
}

int minisign_seckey_parse(const char *text, size_t len, const char *password,
			  struct minisign_seckey *sk, char *err, size_t errsize)
{
	uint8_t sec[SEC_BYTES], chk[32], pk[32];
	static const uint8_t zero[32];
	int ret = -1;

	if (sodium_init() < 0) {
		snprintf(err, errsize, "libsodium initialisation failed");
		goto out;
	}
	if (seckey_decode(text, len, sec, err, errsize) < 0)
		goto out;
	if (memcmp(sec + 2, KDF_SCRYPT, 2) == 0) {
		uint64_t ops = le64_get(sec + SEC_OFF_OPS), mem = le64_get(sec + SEC_OFF_MEM);

		if (!password) {
			snprintf(err, errsize, "the secret key is encrypted: password required");
			goto out;
		}
		/* A hostile key file must not make us allocate without bound. */
		if (mem > MINISIGN_MEMLIMIT_MAX || ops > (1ULL << 32) ||
		    mem < crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_MIN) {
			snprintf(err, errsize, "line 2: scrypt limits out of range");
			goto out;
		}
		if (seckey_crypt(sec, password) < 0) {
			snprintf(err, errsize, "key derivation failed (out of memory?)");
			goto out;
		}
		seckey_chk(sec, chk);
		if (sodium_memcmp(chk, sec + SEC_OFF_KSK + 72, 32) != 0) {
			snprintf(err, errsize, "wrong password for that key");
			goto out;
		}
	} else {
		/* minisign -W leaves the checksum zero; ours is filled in and checked. */
		seckey_chk(sec, chk);
		if (sodium_memcmp(sec + SEC_OFF_KSK + 72, zero, 32) != 0 &&
		    sodium_memcmp(chk, sec + SEC_OFF_KSK + 72, 32) != 0) {
			snprintf(err, errsize, "line 2: secret key checksum mismatch");
			goto out;
		}
	}
	/* The Ed25519 secret key carries its public half: they must agree. */
	memcpy(sk->keyid, sec + SEC_OFF_KSK, MINISIGN_KEYID_BYTES);
	memcpy(sk->sk, sec + SEC_OFF_KSK + MINISIGN_KEYID_BYTES, MINISIGN_SK_BYTES);
	{
		uint8_t seedpk[32], seedsk[64];

		crypto_sign_seed_keypair(seedpk, seedsk, sk->sk);
		crypto_sign_ed25519_sk_to_pk(pk, sk->sk);
		ret = sodium_memcmp(seedpk, pk, 32) == 0 ? 0 : -1;
		sodium_memzero(seedsk, sizeof(seedsk));
	}
	if (ret < 0) {
		snprintf(err, errsize, "secret key is inconsistent (corrupt file)");
		sodium_memzero(sk, sizeof(*sk));
	}
out:
	sodium_memzero(sec, sizeof(sec));
	return ret;
}

int minisign_seckey_format(const struct minisign_seckey *sk, const char *password,
			   uint64_t opslimit, uint64_t memlimit, char **out,
			   char *err, size_t errsize)
{
	static const char comment[] = UNTRUSTED_PREFIX "minisign encrypted secret key\n";
	uint8_t sec[SEC_BYTES];
	size_t outsize = sizeof(comment) + B64LEN(SEC_BYTES) + 2, pos;
	char *buf = NULL;
	int ret = -1;

	*out = NULL;
	if (sodium_init() < 0) {
		snprintf(err, errsize, "libsodium initialisation failed");
		goto out;
	}
	memset(sec, 0, sizeof(sec));
	memcpy(sec, ALG_LEGACY, 2);
	memcpy(sec + 2, password ? KDF_SCRYPT : "\0\0", 2);
	memcpy(sec + 4, CHK_BLAKE2B, 2);
	memcpy(sec + SEC_OFF_KSK, sk->keyid, MINISIGN_KEYID_BYTES);
	memcpy(sec + SEC_OFF_KSK + MINISIGN_KEYID_BYTES, sk->sk, MINISIGN_SK_BYTES);
	seckey_chk(sec, sec + SEC_OFF_KSK + 72);
	if (password) {
		randombytes_buf(sec + SEC_OFF_SALT, SALT_BYTES);
		le64_put(sec + SEC_OFF_OPS, opslimit ? opslimit :
			 crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE);
		le64_put(sec + SEC_OFF_MEM, memlimit ? memlimit :
			 crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE);
		if (seckey_crypt(sec, password) < 0) {
			snprintf(err, errsize, "key derivation failed (out of memory?)");
			goto out;
		}
	}
	buf = sodium_malloc(outsize);
	if (!buf) {
		snprintf(err, errsize, "out of memory");
		goto out;
	}
	memcpy(buf, comment, sizeof(comment));
	pos = sizeof(comment) - 1;
	if (b64_append(buf, outsize, &pos, sec, sizeof(sec)) < 0) {
		snprintf(err, errsize, "internal error: buffer too small");
		goto out;
	}
	/* Plain heap for the caller's free(); the sodium buffer is wiped. */
	*out = strdup(buf);
	if (!*out) {
		snprintf(err, errsize, "out of memory");
		goto out;
	}
	ret = 0;
out:
	if (buf)
		sodium_free(buf);
	sodium_memzero(sec, sizeof(sec));
	return ret;
}

int minisign_seckey_write(const char *path, const struct minisign_seckey *sk,
			  const char *password, uint64_t opslimit, uint64_t memlimit,
			  char *err, size_t errsize)
{
	char *text = NULL;
	size_t len, off = 0;
	int fd = -1, ret = -1;

	if (minisign_seckey_format(sk, password, opslimit, memlimit, &text, err, errsize) < 0)
		goto out;
	/* Never replace an existing key; 0600 whatever the umask says. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) < 0) {
		snprintf(err, errsize, "%s: fchmod: %s", path, strerror(errno));
		goto out;
	}
	len = strlen(text);
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errsize, "%s: write: %s", path, strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0) {
		snprintf(err, errsize, "%s: fsync: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0 && close(fd) < 0 && ret == 0) {
		snprintf(err, errsize, "%s: close: %s", path, strerror(errno));
		ret = -1;
	}
	if (text) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	return ret;
}

int minisign_sig_parse(const char *text, size_t len, struct minisign_sig *sig,
		       char *err, size_t errsize)
{
	struct cursor c = { text, len, 0, 0 };
	uint8_t bin[SIGBLK_BYTES];
	const char *l;
	size_t ll, pl = strlen(TRUSTED_PREFIX);
	int ret = -1;

	memset(sig, 0, sizeof(*sig));
	if (next_line(&c, MINISIGN_COMMENT_MAX, &l, &ll) < 0 || !has_prefix(l, ll, UNTRUSTED_PREFIX)) {
		snprintf(err, errsize, "line 1: expected \"%s...\" of at most %u bytes",
			 UNTRUSTED_PREFIX, MINISIGN_COMMENT_MAX);
		goto out;
	}
	if (next_line(&c, B64LEN(SIGBLK_BYTES), &l, &ll) < 0 || b64_exact(l, ll, bin, sizeof(bin)) < 0) {
		snprintf(err, errsize, "line 2: not a base64 signature of %u characters",
			 (unsigned int)B64LEN(SIGBLK_BYTES));
		goto out;
	}
	if (memcmp(bin, ALG_PREHASHED, 2) == 0) {
		sig->prehashed = true;
	} else if (memcmp(bin, ALG_LEGACY, 2) != 0) {
		snprintf(err, errsize, "line 2: unsupported signature algorithm");
		goto out;
	}
	memcpy(sig->keyid, bin + 2, MINISIGN_KEYID_BYTES);
	memcpy(sig->sig, bin + 2 + MINISIGN_KEYID_BYTES, MINISIGN_SIG_BYTES);
	if (next_line(&c, MINISIGN_TRUSTED_MAX - 1, &l, &ll) < 0 || !has_prefix(l, ll, TRUSTED_PREFIX)) {
		snprintf(err, errsize, "line 3: expected \"%s...\" of at most %u bytes",
			 TRUSTED_PREFIX, MINISIGN_TRUSTED_MAX - 1);
		goto out;
	}
	if (memchr(l + pl, '\0', ll - pl) || memchr(l + pl, '\r', ll - pl)) {
		snprintf(err, errsize, "line 3: control character in the trusted comment");
		goto out;
	}
	memcpy(sig->trusted_comment, l + pl, ll - pl);
	sig->trusted_comment[ll - pl] = '\0';
	if (next_line(&c, B64LEN(MINISIGN_SIG_BYTES), &l, &ll) < 0 ||
	    b64_exact(l, ll, sig->global_sig, MINISIGN_SIG_BYTES) < 0) {
		snprintf(err, errsize, "line 4: not a base64 global signature of %u characters",
			 (unsigned int)B64LEN(MINISIGN_SIG_BYTES));
		goto out;
	}
	if (rest_blank(&c) < 0) {
		snprintf(err, errsize, "line %u: unexpected text after the signature", c.lineno);
		goto out;
	}
	ret = 0;
out:
	return ret;
}

/* The signed message: BLAKE2b-512 of msg when prehashed, else msg itself. */
static const uint8_t *sig_message(const uint8_t *msg, size_t len, bool prehashed,
				  uint8_t hash[crypto_generichash_BYTES_MAX], size_t *mlen)
{
	if (!prehashed) {
		*mlen = len;
		return msg;
	}
	crypto_generichash(hash, crypto_generichash_BYTES_MAX, msg, len, NULL, 0);
	*mlen = crypto_generichash_BYTES_MAX;
	return hash;
}

int minisign_sign(const struct minisign_seckey *sk, const uint8_t *msg, size_t len,
		  const char *trusted_comment, const char *untrusted_comment, bool legacy,
		  char **out, char *err, size_t errsize)
{
	uint8_t hash[crypto_generichash_BYTES_MAX], blk[SIGBLK_BYTES], global[MINISIGN_SIG_BYTES];
	uint8_t *sc = NULL;
	const uint8_t *m;
	size_t mlen, tl = strlen(trusted_comment), outsize, pos;
	char *buf = NULL;
	int n, ret = -1;

	*out = NULL;
	if (!untrusted_comment)
		untrusted_comment = "signature from minisign secret key";
	if (sodium_init() < 0) {
		snprintf(err, errsize, "libsodium initialisation failed");
		goto out;
	}
	if (strpbrk(trusted_comment, "\r\n") || strpbrk(untrusted_comment, "\r\n") ||
	    tl + strlen(TRUSTED_PREFIX) >= MINISIGN_TRUSTED_MAX ||
	    strlen(untrusted_comment) + strlen(UNTRUSTED_PREFIX) >= MINISIGN_COMMENT_MAX) {
		snprintf(err, errsize, "comments must be single lines within minisign's limits");
		goto out;
	}
	memcpy(blk, legacy ? ALG_LEGACY : ALG_PREHASHED, 2);
	memcpy(blk + 2, sk->keyid, MINISIGN_KEYID_BYTES);
	m = sig_message(msg, len, !legacy, hash, &mlen);
	crypto_sign_detached(blk + 2 + MINISIGN_KEYID_BYTES, NULL, m, mlen, sk->sk);
	sc = malloc(MINISIGN_SIG_BYTES + tl);
	if (!sc) {
		snprintf(err, errsize, "out of memory");
		goto out;
	}
	memcpy(sc, blk + 2 + MINISIGN_KEYID_BYTES, MINISIGN_SIG_BYTES);
	memcpy(sc + MINISIGN_SIG_BYTES, trusted_comment, tl);
	crypto_sign_detached(global, NULL, sc, MINISIGN_SIG_BYTES + tl, sk->sk);
	outsize = MINISIGN_COMMENT_MAX + MINISIGN_TRUSTED_MAX + B64LEN(SIGBLK_BYTES) +
		  B64LEN(MINISIGN_SIG_BYTES) + 8;
	buf = malloc(outsize);
	if (!buf) {
		snprintf(err, errsize, "out of memory");
		goto out;
	}
	n = snprintf(buf, outsize, UNTRUSTED_PREFIX "%s\n", untrusted_comment);
	pos = (size_t)n;
	if (b64_append(buf, outsize, &pos, blk, sizeof(blk)) < 0)
		goto toolong;
	n = snprintf(buf + pos, outsize - pos, TRUSTED_PREFIX "%s\n", trusted_comment);
	if (n < 0 || (size_t)n >= outsize - pos)
		goto toolong;
	pos += (size_t)n;
	if (b64_append(buf, outsize, &pos, global, sizeof(global)) < 0)
		goto toolong;
	*out = buf;
	buf = NULL;
	ret = 0;
	goto out;
toolong:
	snprintf(err, errsize, "internal error: signature buffer too small");
out:
	free(buf);
	free(sc);
	return ret;
}

int minisign_verify(const struct minisign_sig *sig, const struct minisign_pubkey *pk,
		    const uint8_t *msg, size_t len, bool require_prehash,
		    enum minisign_fail *why, char *err, size_t errsize)
{
	uint8_t hash[crypto_generichash_BYTES_MAX], *sc = NULL;
	const uint8_t *m;
	size_t mlen, tl = strnlen(sig->trusted_comment, sizeof(sig->trusted_comment));
	enum minisign_fail fail = MINISIGN_FAIL_NONE;
	char a[17], b[17];
	int ret = -1;

	if (sodium_init() < 0) {
		fail = MINISIGN_FAIL_SIG;
		snprintf(err, errsize, "libsodium initialisation failed");
		goto out;
	}
	if (!sig->prehashed && require_prehash) {
		fail = MINISIGN_FAIL_LEGACY;
		snprintf(err, errsize, "legacy (non-prehashed) signature refused");
		goto out;
	}
	if (memcmp(sig->keyid, pk->keyid, MINISIGN_KEYID_BYTES) != 0) {
		fail = MINISIGN_FAIL_KEYID;
		minisign_keyid_hex(sig->keyid, a);
		minisign_keyid_hex(pk->keyid, b);
		snprintf(err, errsize, "signed by key %s, not by key %s", a, b);
		goto out;
	}
	m = sig_message(msg, len, sig->prehashed, hash, &mlen);
	if (crypto_sign_verify_detached(sig->sig, m, mlen, pk->pk) != 0) {
		fail = MINISIGN_FAIL_SIG;
		snprintf(err, errsize, "signature verification failed");
		goto out;
	}
	if (tl >= sizeof(sig->trusted_comment)) {
		fail = MINISIGN_FAIL_COMMENT;
		snprintf(err, errsize, "trusted comment not terminated");
		goto out;
	}
	sc = malloc(MINISIGN_SIG_BYTES + tl);
	if (!sc) {
		fail = MINISIGN_FAIL_SIG;
		snprintf(err, errsize, "out of memory");
		goto out;
	}
	memcpy(sc, sig->sig, MINISIGN_SIG_BYTES);
	memcpy(sc + MINISIGN_SIG_BYTES, sig->trusted_comment, tl);
	if (crypto_sign_verify_detached(sig->global_sig, sc, MINISIGN_SIG_BYTES + tl, pk->pk) != 0) {
		fail = MINISIGN_FAIL_COMMENT;
		snprintf(err, errsize, "trusted comment signature verification failed");
		goto out;
	}
	ret = 0;
out:
	free(sc);
	if (why)
		*why = fail;
	return ret;
}
