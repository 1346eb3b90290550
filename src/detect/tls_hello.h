/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TLS records and ClientHello fields for the detectors: the handshake bytes of
 * the leading records, the fields a fingerprint needs, the ServerHello's version. */
#ifndef MW_TLS_HELLO_H
#define MW_TLS_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A ClientHello bigger than this is not worth waiting for. */
#define TLS_HELLO_MAX 16384
#define TLS_CT_CCS 20
#define TLS_CT_ALERT 21
#define TLS_CT_HANDSHAKE 22
#define TLS_CT_APPDATA 23
/* Values kept per list; a hello with more is fingerprinted on these. */
#define TLS_HELLO_LIST_MAX 64

enum tls_parse { TLS_BAD, TLS_SHORT, TLS_NO_SNI, TLS_SNI, TLS_DONE };

/* A bounded reader over handshake bytes. */
struct tls_rd {
	const uint8_t *p;
	size_t len, off;
};

static inline bool rd_skip(struct tls_rd *r, size_t n)
{
	if (r->len - r->off < n)
		return false;
	r->off += n;
	return true;
}

static inline bool rd_u8(struct tls_rd *r, unsigned int *v)
{
	if (r->len - r->off < 1)
		return false;
	*v = r->p[r->off++];
	return true;
}

static inline bool rd_u16(struct tls_rd *r, unsigned int *v)
{
	if (r->len - r->off < 2)
		return false;
	*v = (unsigned int)r->p[r->off] << 8 | r->p[r->off + 1];
	r->off += 2;
	return true;
}

/* Gather the handshake bytes of the leading records into hs (at most
 * TLS_HELLO_MAX): *hslen bytes held, *need the full ClientHello size (0 while
 * unknown), *rec_end the offset in d just past the last record that carried
 * a piece of it (when complete). TLS_SHORT, or TLS_BAD when the records do not
 * carry a ClientHello. */
enum tls_parse tls_hello_gather(const uint8_t *d, size_t len, uint8_t *hs, size_t *hslen,
				size_t *need, size_t *rec_end);

/* What a ClientHello says, GREASE values left out (RFC 8701). */
struct tls_hello {
	uint16_t legacy_version;
	uint16_t max_version;		/* highest of supported_versions, else legacy_version */
	const uint8_t *sni;		/* host_name, or NULL */
	size_t sni_len;
	bool has_sni_ext;
	const uint8_t *alpn;		/* first protocol name, or NULL (no ALPN) */
	size_t alpn_len;
	unsigned int n_ciphers, n_exts, n_sigalgs;	/* counted, may exceed the arrays */
	uint16_t ciphers[TLS_HELLO_LIST_MAX];
	uint16_t exts[TLS_HELLO_LIST_MAX];		/* in the order sent */
	uint16_t sigalgs[TLS_HELLO_LIST_MAX];		/* in the order sent */
};

/* Parse a whole ClientHello (hs as gathered, hslen >= need). TLS_DONE with h
 * filled (pointers into hs), or TLS_BAD. */
enum tls_parse tls_hello_parse(const uint8_t *hs, size_t need, struct tls_hello *h);

#define TLS_JA4_LEN 36
/* The JA4 fingerprint of h ("t13d1516h2_8daaf6152771_e5627efa2ab1"):
 * protocol, version, SNI, counts and ALPN; truncated SHA-256 of the sorted
 * ciphers; of the sorted extensions (no SNI, no ALPN) and signature algorithms. */
void tls_hello_ja4(const struct tls_hello *h, char out[TLS_JA4_LEN + 1]);

/* The version a ServerHello at the start of d chose: 0x0304 when its
 * supported_versions says TLS 1.3, else its legacy version; 0 while the
 * ServerHello is incomplete or when d does not start with one. */
unsigned int tls_server_version(const uint8_t *d, size_t len);

#endif
