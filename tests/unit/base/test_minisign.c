// SPDX-License-Identifier: GPL-2.0-or-later
/* minisign formats: parsers on malformed input, sign/verify, key files, stock-tool bytes. */
#include "config.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "minisign.h"
#include "unit.h"

/* Made by the stock minisign 0.11: `minisign -G -W`, then `minisign -S -t "tc here"`
 * and `minisign -S -l` over the 6 bytes "hello\n". */
static const char stock_pub[] =
	"untrusted comment: minisign public key 22BECA15ED6D0FCC\n"
	"RWTMD23tFcq+InD/ZM6devRgDhU1/jdeQZcMKETTeLwMOhHPIrvZ8qUm\n";
static const char stock_sec[] =
	"untrusted comment: minisign encrypted secret key\n"
	"RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAzA9t7RXKviIvD6RJ"
	"YASoxxR2i3axg6o5QhIK6GO4yKwSrx2nSBmDHXD/ZM6devRgDhU1/jdeQZcMKETTeLwMOhHPIrvZ8qUmAAAAAAAA"
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
static const char stock_sig[] =
	"untrusted comment: signature from minisign secret key\n"
	"RUTMD23tFcq+IoaqM79rgqfsHtATxMob7OMQ+gtvtp5Q1QD1OTUeVdPMVLV5A0NLXvZQwywkA+PrqOhWOtRdTcxM5vSUDHh4cwY=\n"
	"trusted comment: tc here\n"
	"VJ72bOw4dniBJt9heC1Yol2Twssgx3v1Lkku/3HPEgOC41ZKp/ei/lDhKzjLaw49o13kn8vWvgLZXfGe2cuPBw==\n";
static const char stock_legacy_sig[] =
	"untrusted comment: signature from minisign secret key\n"
	"RWTMD23tFcq+IhaEANLIHQbUtqzF2V/f+yR61JPz0LsPZOQ//KyVGWKhGg4vklCOXewLPsW8SQAQRS1hh5lkkR2MRODMWZ2FBwQ=\n"
	"trusted comment: timestamp:1795998534\tfile:m\n"
	"YLewaNbtvmf0omU7A1v1dFu7A+n/gsxwj1+iF0uWNYPUwya838iE69boizVhIlBeYOxoJtquR57A7Rys6BmSAg==\n";
static const uint8_t hello[] = "hello\n";

static int pub_parse(const char *s, struct minisign_pubkey *pk, char *err)
{
	return minisign_pubkey_parse(s, strlen(s), pk, err, 200);
}

static int sig_parse(const char *s, struct minisign_sig *sig, char *err)
{
	return minisign_sig_parse(s, strlen(s), sig, err, 200);
}

static void test_stock(void)
{
	struct minisign_pubkey pk, pk2;
	struct minisign_seckey sk;
	struct minisign_sig sig;
	enum minisign_fail why;
	char err[200], hex[17], *out;

	CHECK(pub_parse(stock_pub, &pk, err) == 0);
	minisign_keyid_hex(pk.keyid, hex);
	CHECK_STR(hex, "22BECA15ED6D0FCC");
	/* The bare form, as minisign -P takes it. */
	CHECK(pub_parse("RWTMD23tFcq+InD/ZM6devRgDhU1/jdeQZcMKETTeLwMOhHPIrvZ8qUm", &pk2, err) == 0);
	CHECK(memcmp(&pk, &pk2, sizeof(pk)) == 0);
	/* Unencrypted stock key: zero checksum accepted, public half matches. */
	CHECK(minisign_seckey_encrypted(stock_sec, strlen(stock_sec)) == 0);
	CHECK(minisign_seckey_parse(stock_sec, strlen(stock_sec), NULL, &sk, err, sizeof(err)) == 0);
	minisign_seckey_pubkey(&sk, &pk2);
	CHECK(memcmp(&pk, &pk2, sizeof(pk)) == 0);

	CHECK(sig_parse(stock_sig, &sig, err) == 0);
	CHECK(sig.prehashed);
	CHECK_STR(sig.trusted_comment, "tc here");
	CHECK(minisign_verify(&sig, &pk, hello, 6, true, &why, err, sizeof(err)) == 0);
	CHECK(why == MINISIGN_FAIL_NONE);
	CHECK(minisign_verify(&sig, &pk, hello, 5, true, &why, err, sizeof(err)) == -1);
	CHECK(why == MINISIGN_FAIL_SIG);

	CHECK(sig_parse(stock_legacy_sig, &sig, err) == 0);
	CHECK(!sig.prehashed);
	CHECK_STR(sig.trusted_comment, "timestamp:1795998534\tfile:m");
	CHECK(minisign_verify(&sig, &pk, hello, 6, true, &why, err, sizeof(err)) == -1);
	CHECK(why == MINISIGN_FAIL_LEGACY);
	CHECK_STR(err, "legacy (non-prehashed) signature refused");
	CHECK(minisign_verify(&sig, &pk, hello, 6, false, &why, err, sizeof(err)) == 0);

	/* Our signature with the stock key equals in form: re-verify it. */
	CHECK(minisign_sign(&sk, hello, 6, "tc here", NULL, false, &out, err, sizeof(err)) == 0);
	CHECK(sig_parse(out, &sig, err) == 0);
	CHECK(minisign_verify(&sig, &pk, hello, 6, true, &why, err, sizeof(err)) == 0);
	/* Ed25519 is deterministic: same key, message and comment give stock's bytes. */
	CHECK(strstr(out, strchr(stock_sig, '\n') + 1) != NULL);
	free(out);
}

static void test_pubkey_malformed(void)
{
	struct minisign_pubkey pk;
	char err[200];

	CHECK(pub_parse("", &pk, err) == -1);
	CHECK(pub_parse("untrusted comment: x\n", &pk, err) == -1);
	CHECK_STR(err, "line 2: missing or over-long public key line");
	CHECK(pub_parse("untrusted comment: x\nRWTMD23tFcq+InD/ZM6devRgDhU1/jdeQZcMKETTeLwMOhHPIrvZ8qU\n",
			&pk, err) == -1);
	CHECK_STR(err, "line 2: not a base64 public key of 56 characters");
	CHECK(pub_parse("untrusted comment: x\nRWTMD23tFcq+InD/ZM6devRgDhU1/jdeQZcMKETTeLwMOhHPIrvZ8qUmAAAA\n",
			&pk, err) == -1);
	CHECK_STR(err, "line 2: missing or over-long public key line");
	CHECK(pub_parse("untrusted comment: x\nRW!MD23tFcq+InD/ZM6devRgDhU1/jdeQZcMKETTeLwMOhHPIrvZ8qUm\n",
			&pk, err) == -1);
	/* "RUT..." decodes to "ED": not a public key algorithm. */
	CHECK(pub_parse("untrusted comment: x\nRUTMD23tFcq+InD/ZM6devRgDhU1/jdeQZcMKETTeLwMOhHPIrvZ8qUm\n",
			&pk, err) == -1);
	CHECK_STR(err, "line 2: unsupported public key algorithm");
	CHECK(pub_parse("untrusted comment:x\nRWTMD23tFcq+InD/ZM6devRgDhU1/jdeQZcMKETTeLwMOhHPIrvZ8qUm\n",
			&pk, err) == -1);
	CHECK_STR(err, "line 1: expected \"untrusted comment: \"");
	CHECK(pub_parse("untrusted comment: x\nRWTMD23tFcq+InD/ZM6devRgDhU1/jdeQZcMKETTeLwMOhHPIrvZ8qUm\nmore\n",
			&pk, err) == -1);
	CHECK_STR(err, "line 3: unexpected text after the public key");
	/* CRLF line ends are fine, as for minisign. */
	CHECK(pub_parse("untrusted comment: x\r\nRWTMD23tFcq+InD/ZM6devRgDhU1/jdeQZcMKETTeLwMOhHPIrvZ8qUm\r\n",
			&pk, err) == 0);
}

static void test_sig_malformed(void)
{
	struct minisign_sig sig;
	char err[200], buf[12000];
	const char *l2 = strchr(stock_sig, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
	const char *l4 = strchr(l3, '\n') + 1;

	CHECK(sig_parse("", &sig, err) == -1);
	CHECK(strncmp(err, "line 1:", 7) == 0);
	snprintf(buf, sizeof(buf), "comment: x\n%s", l2);
	CHECK(sig_parse(buf, &sig, err) == -1);
	CHECK(strncmp(err, "line 1:", 7) == 0);
	snprintf(buf, sizeof(buf), "untrusted comment: x\nAAAA\n%s", l3);
	CHECK(sig_parse(buf, &sig, err) == -1);
	CHECK_STR(err, "line 2: not a base64 signature of 100 characters");
	snprintf(buf, sizeof(buf), "untrusted comment: x\n%.*sX\n%s", (int)(l3 - l2 - 2), l2, l3);
	CHECK(sig_parse(buf, &sig, err) == -1);
	CHECK(strncmp(err, "line 2:", 7) == 0);
	snprintf(buf, sizeof(buf), "untrusted comment: x\n%.*scomment: tc here\n%s",
		 (int)(l3 - l2), l2, l4);
	CHECK(sig_parse(buf, &sig, err) == -1);
	CHECK(strncmp(err, "line 3:", 7) == 0);
	snprintf(buf, sizeof(buf), "%.*s", (int)(l4 - stock_sig), stock_sig);
	CHECK(sig_parse(buf, &sig, err) == -1);
	CHECK_STR(err, "line 4: not a base64 global signature of 88 characters");
	snprintf(buf, sizeof(buf), "%sjunk\n", stock_sig);
	CHECK(sig_parse(buf, &sig, err) == -1);
	CHECK_STR(err, "line 5: unexpected text after the signature");
	/* A trusted comment at the limit parses; one byte more does not. */
	{
		char *tc = malloc(MINISIGN_TRUSTED_MAX + 1);
		size_t pl = strlen("trusted comment: ");

		memset(tc, 'a', MINISIGN_TRUSTED_MAX);
		tc[MINISIGN_TRUSTED_MAX - 1 - pl] = '\0';
		snprintf(buf, sizeof(buf), "untrusted comment: x\n%.*strusted comment: %s\n%s",
			 (int)(l3 - l2), l2, tc, l4);
		CHECK(sig_parse(buf, &sig, err) == 0);
		CHECK(strlen(sig.trusted_comment) == MINISIGN_TRUSTED_MAX - 1 - pl);
		tc[MINISIGN_TRUSTED_MAX - 1 - pl] = 'a';
		tc[MINISIGN_TRUSTED_MAX - pl] = '\0';
		snprintf(buf, sizeof(buf), "untrusted comment: x\n%.*strusted comment: %s\n%s",
			 (int)(l3 - l2), l2, tc, l4);
		CHECK(sig_parse(buf, &sig, err) == -1);
		CHECK(strncmp(err, "line 3:", 7) == 0);
		free(tc);
	}
	/* Unknown algorithm "Ex". */
	{
		uint8_t bin[74];
		char b64[120];

		memset(bin, 0, sizeof(bin));
		memcpy(bin, "Ex", 2);
		sodium_bin2base64(b64, sizeof(b64), bin, sizeof(bin), sodium_base64_VARIANT_ORIGINAL);
		snprintf(buf, sizeof(buf), "untrusted comment: x\n%s\n%s", b64, l3);
		CHECK(sig_parse(buf, &sig, err) == -1);
		CHECK_STR(err, "line 2: unsupported signature algorithm");
	}
}

static void test_roundtrip(void)
{
	struct minisign_pubkey pk, pk2, other;
	struct minisign_seckey sk, sk2;
	struct minisign_sig sig;
	enum minisign_fail why;
	char err[200], text[200], *s;
	uint8_t msg[100];

	CHECK(minisign_keygen(&pk, &sk) == 0);
	CHECK(minisign_keygen(&other, &sk2) == 0);
	CHECK(minisign_pubkey_format(&pk, text, sizeof(text)) == 0);
	CHECK(strncmp(text, "untrusted comment: minisign public key ", 39) == 0);
	CHECK(pub_parse(text, &pk2, err) == 0);
	CHECK(memcmp(&pk, &pk2, sizeof(pk)) == 0);

	memset(msg, 'm', sizeof(msg));
	CHECK(minisign_sign(&sk, msg, sizeof(msg), "trusted one", "u", false, &s, err, sizeof(err)) == 0);
	CHECK(sig_parse(s, &sig, err) == 0);
	free(s);
	CHECK(minisign_verify(&sig, &pk, msg, sizeof(msg), true, &why, err, sizeof(err)) == 0);
	/* Tampered message. */
	msg[50] ^= 1;
	CHECK(minisign_verify(&sig, &pk, msg, sizeof(msg), true, &why, err, sizeof(err)) == -1);
	CHECK(why == MINISIGN_FAIL_SIG);
	msg[50] ^= 1;
	/* Tampered trusted comment. */
	sig.trusted_comment[0] = 'T';
	CHECK(minisign_verify(&sig, &pk, msg, sizeof(msg), true, &why, err, sizeof(err)) == -1);
	CHECK(why == MINISIGN_FAIL_COMMENT);
	sig.trusted_comment[0] = 't';
	/* Wrong key: other key id, then the other key under our key id. */
	CHECK(minisign_verify(&sig, &other, msg, sizeof(msg), true, &why, err, sizeof(err)) == -1);
	CHECK(why == MINISIGN_FAIL_KEYID);
	memcpy(other.keyid, pk.keyid, sizeof(pk.keyid));
	CHECK(minisign_verify(&sig, &other, msg, sizeof(msg), true, &why, err, sizeof(err)) == -1);
	CHECK(why == MINISIGN_FAIL_SIG);
	/* Legacy signatures we make ourselves. */
	CHECK(minisign_sign(&sk, msg, sizeof(msg), "t", NULL, true, &s, err, sizeof(err)) == 0);
	CHECK(sig_parse(s, &sig, err) == 0);
	free(s);
	CHECK(!sig.prehashed);
	CHECK(minisign_verify(&sig, &pk, msg, sizeof(msg), true, &why, err, sizeof(err)) == -1);
	CHECK(why == MINISIGN_FAIL_LEGACY);
	CHECK(minisign_verify(&sig, &pk, msg, sizeof(msg), false, &why, err, sizeof(err)) == 0);
	/* Multi-line comments are refused. */
	CHECK(minisign_sign(&sk, msg, sizeof(msg), "a\nb", NULL, false, &s, err, sizeof(err)) == -1);
	CHECK(s == NULL);
}

static void test_seckey(void)
{
	struct minisign_pubkey pk;
	struct minisign_seckey sk, back;
	char err[200], *text, path[] = "/tmp/test_minisign_XXXXXX";
	struct stat st;
	int fd;

	CHECK(minisign_keygen(&pk, &sk) == 0);
	/* Unencrypted. */
	CHECK(minisign_seckey_format(&sk, NULL, 0, 0, &text, err, sizeof(err)) == 0);
	CHECK(minisign_seckey_encrypted(text, strlen(text)) == 0);
	CHECK(minisign_seckey_parse(text, strlen(text), NULL, &back, err, sizeof(err)) == 0);
	CHECK(memcmp(&sk, &back, sizeof(sk)) == 0);
	/* A flipped bit in the key block breaks the checksum. */
	text[strlen(text) - 20] = text[strlen(text) - 20] == 'A' ? 'B' : 'A';
	CHECK(minisign_seckey_parse(text, strlen(text), NULL, &back, err, sizeof(err)) == -1);
	free(text);

	/* Encrypted, with fast scrypt limits so the test stays quick. */
	CHECK(minisign_seckey_format(&sk, "s3cret",
				     crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_INTERACTIVE,
				     crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_INTERACTIVE,
				     &text, err, sizeof(err)) == 0);
	CHECK(minisign_seckey_encrypted(text, strlen(text)) == 1);
	CHECK(minisign_seckey_parse(text, strlen(text), NULL, &back, err, sizeof(err)) == -1);
	CHECK_STR(err, "the secret key is encrypted: password required");
	CHECK(minisign_seckey_parse(text, strlen(text), "wrong", &back, err, sizeof(err)) == -1);
	CHECK_STR(err, "wrong password for that key");
	memset(&back, 0, sizeof(back));
	CHECK(minisign_seckey_parse(text, strlen(text), "s3cret", &back, err, sizeof(err)) == 0);
	CHECK(memcmp(&sk, &back, sizeof(sk)) == 0);
	free(text);

	/* Malformed files. */
	CHECK(minisign_seckey_parse("x\n", 2, NULL, &back, err, sizeof(err)) == -1);
	CHECK(strncmp(err, "line 1:", 7) == 0);
	CHECK(minisign_seckey_parse("untrusted comment: x\nRWQA\n", 26, NULL, &back, err, sizeof(err)) == -1);
	CHECK_STR(err, "line 2: not a base64 secret key of 212 characters");
	CHECK(minisign_seckey_encrypted("garbage", 7) == -1);

	/* Written 0600 whatever the umask, and never over an existing file. */
	fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	unlink(path);
	umask(0);
	CHECK(minisign_seckey_write(path, &sk, NULL, 0, 0, err, sizeof(err)) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(minisign_seckey_write(path, &sk, NULL, 0, 0, err, sizeof(err)) == -1);
	CHECK(strstr(err, "File exists") != NULL);
	unlink(path);
	umask(022);
}

int main(void)
{
	if (sodium_init() < 0)
		return 99;
	test_stock();
	test_pubkey_malformed();
	test_sig_malformed();
	test_roundtrip();
	test_seckey();
	return UNIT_DONE();
}
