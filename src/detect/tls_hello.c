// SPDX-License-Identifier: GPL-2.0-or-later
/* TLS records and the ClientHello's fields, its JA4 fingerprint, and the ServerHello's version. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tls_hello.h"

#define TLS_HS_CLIENT_HELLO 1
#define TLS_HS_SERVER_HELLO 2
#define TLS_EXT_SERVER_NAME 0x0000
#define TLS_EXT_SIG_ALGS 0x000d
#define TLS_EXT_ALPN 0x0010
#define TLS_EXT_SUPPORTED_VERSIONS 0x002b

enum tls_parse tls_hello_gather(const uint8_t *d, size_t len, uint8_t *hs, size_t *hslen,
				size_t *need, size_t *rec_end)
{
	size_t off = 0, n = 0;

	*need = 0;
	*rec_end = 0;
	while (!*need || n < *need) {
		size_t rlen, take;

		if (len - off < 5) {
			/* A partial record header must still look like a handshake record. */
			if (len - off >= 1 && d[off] != TLS_CT_HANDSHAKE)
				return TLS_BAD;
			if (len - off >= 2 && d[off + 1] != 3)
				return TLS_BAD;
			break;
		}
		if (d[off] != TLS_CT_HANDSHAKE || d[off + 1] != 3 || d[off + 2] > 4)
			return TLS_BAD;
		rlen = (size_t)d[off + 3] << 8 | d[off + 4];
		if (rlen == 0 || rlen > 16384 + 2048)
			return TLS_BAD;
		off += 5;
		take = rlen < len - off ? rlen : len - off;
		if (take > TLS_HELLO_MAX - n)
			take = TLS_HELLO_MAX - n;
		memcpy(hs + n, d + off, take);
		n += take;
		if (!*need && n >= 4) {
			if (hs[0] != TLS_HS_CLIENT_HELLO)
				return TLS_BAD;
			*need = 4 + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]);
			if (*need > TLS_HELLO_MAX || *need < 4 + 38)
				return TLS_BAD;
		}
		if (take < rlen)
			break;	/* record cut by the end of the data */
		off += rlen;
		*rec_end = off;
	}
	if (n >= 1 && hs[0] != TLS_HS_CLIENT_HELLO)
		return TLS_BAD;
	if (*need && n > *need)
		n = *need;
	*hslen = n;
	return TLS_SHORT;
}

static bool is_grease(unsigned int v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static void list_add(uint16_t *arr, unsigned int *n, unsigned int v)
{
	if (*n < TLS_HELLO_LIST_MAX)
		arr[*n] = (uint16_t)v;
	(*n)++;
}

/* One extension's body (x spans it). */
static bool hello_ext(struct tls_hello *h, unsigned int type, struct tls_rd *x)
{
	unsigned int l, v, ntype;

	switch (type) {
	case TLS_EXT_SERVER_NAME:
		h->has_sni_ext = true;
		if (!rd_u16(x, &l) || l > x->len - x->off)
			return x->len == 0;	/* a server's empty echo is allowed */
		while (rd_u8(x, &ntype) && rd_u16(x, &v)) {
			if (v > x->len - x->off)
				return false;
			if (ntype == 0 && !h->sni) {
				h->sni = x->p + x->off;
				h->sni_len = v;
			}
			x->off += v;
		}
		return true;
	case TLS_EXT_ALPN:
		if (!rd_u16(x, &l) || l > x->len - x->off || !rd_u8(x, &v) || v == 0 ||
		    v > x->len - x->off)
			return false;
		h->alpn = x->p + x->off;
		h->alpn_len = v;
		return true;
	case TLS_EXT_SIG_ALGS:
		if (!rd_u16(x, &l) || l > x->len - x->off || (l & 1))
			return false;
		while (l >= 2 && rd_u16(x, &v)) {
			if (!is_grease(v))
				list_add(h->sigalgs, &h->n_sigalgs, v);
			l -= 2;
		}
		return true;
	case TLS_EXT_SUPPORTED_VERSIONS:
		if (!rd_u8(x, &l) || l > x->len - x->off || (l & 1))
			return false;
		while (l >= 2 && rd_u16(x, &v)) {
			if (!is_grease(v) && (v >> 8) == 3 && v > h->max_version)
				h->max_version = (uint16_t)v;
			l -= 2;
		}
		return true;
	}
	return true;
}

enum tls_parse tls_hello_parse(const uint8_t *hs, size_t need, struct tls_hello *h)
{
	struct tls_rd r = { .p = hs, .len = need, .off = 4 };
	unsigned int v, exts_len;
	size_t end;

	memset(h, 0, sizeof(*h));
	if (need < 4 || hs[0] != TLS_HS_CLIENT_HELLO)
		return TLS_BAD;
	if (!rd_u16(&r, &v) || (v >> 8) != 3 || !rd_skip(&r, 32))
		return TLS_BAD;
	h->legacy_version = (uint16_t)v;
	if (!rd_u8(&r, &v) || v > 32 || !rd_skip(&r, v))	/* session id */
		return TLS_BAD;
	if (!rd_u16(&r, &v) || v < 2 || (v & 1) || v > r.len - r.off)	/* cipher suites */
		return TLS_BAD;
	end = r.off + v;
	while (r.off < end && rd_u16(&r, &v))
		if (!is_grease(v))
			list_add(h->ciphers, &h->n_ciphers, v);
	if (!rd_u8(&r, &v) || v < 1 || !rd_skip(&r, v))	/* compression methods */
		return TLS_BAD;
	if (r.off == need)
		goto out;	/* no extensions at all */
	if (!rd_u16(&r, &exts_len) || exts_len > need - r.off)
		return TLS_BAD;
	end = r.off + exts_len;
	while (r.off + 4 <= end) {
		unsigned int type = 0, elen = 0;
		struct tls_rd x;

		rd_u16(&r, &type);
		rd_u16(&r, &elen);
		if (elen > end - r.off)
			return TLS_BAD;
		x = (struct tls_rd){ .p = r.p + r.off, .len = elen };
		r.off += elen;
		if (is_grease(type))
			continue;
		list_add(h->exts, &h->n_exts, type);
		if (!hello_ext(h, type, &x))
			return TLS_BAD;
	}
out:
	if (h->max_version < h->legacy_version)
		h->max_version = h->legacy_version;
	return TLS_DONE;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* The first 12 hex digits of SHA-256 over text. */
static void hash12(const char *text, size_t len, char out[13])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[crypto_hash_sha256_BYTES];
	int i;

	crypto_hash_sha256(md, (const unsigned char *)text, len);
	for (i = 0; i < 6; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[12] = '\0';
}

/* "0a0b,0c0d,..." of n values (at most TLS_HELLO_LIST_MAX) at *pos in buf.
 * By hand: printf costs more than the rest of the fingerprint. */
static void hex_list(char *buf, size_t size, size_t *pos, const uint16_t *v, unsigned int n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned int i;

	for (i = 0; i < n && i < TLS_HELLO_LIST_MAX && *pos + 6 < size; i++) {
		char *p = buf + *pos;

		if (i)
			*p++ = ',';
		p[0] = hex[v[i] >> 12];
		p[1] = hex[(v[i] >> 8) & 15];
		p[2] = hex[(v[i] >> 4) & 15];
		p[3] = hex[v[i] & 15];
		p[4] = '\0';
		*pos += i ? 5 : 4;
	}
}

static const char *version_code(unsigned int v)
{
	switch (v) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	}
	return "00";
}

static bool alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

void tls_hello_ja4(const struct tls_hello *h, char out[TLS_JA4_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint16_t sorted[TLS_HELLO_LIST_MAX];
	unsigned int i, n, k;
	char buf[TLS_HELLO_LIST_MAX * 10 + 8], b[13], c[13], alpn[3] = "00";
	size_t pos = 0;

	if (h->alpn && h->alpn_len) {
		uint8_t f = h->alpn[0], l = h->alpn[h->alpn_len - 1];

		if (alnum(f) && alnum(l)) {
			alpn[0] = (char)f;
			alpn[1] = (char)l;
		} else {
			alpn[0] = hex[f >> 4];
			alpn[1] = hex[l & 15];
		}
	}
	/* b: the ciphers, sorted. */
	n = h->n_ciphers < TLS_HELLO_LIST_MAX ? h->n_ciphers : TLS_HELLO_LIST_MAX;
	memcpy(sorted, h->ciphers, n * sizeof(sorted[0]));
	qsort(sorted, n, sizeof(sorted[0]), cmp_u16);
	hex_list(buf, sizeof(buf), &pos, sorted, n);
	if (n)
		hash12(buf, pos, b);
	else
		memcpy(b, "000000000000", 13);
	/* c: the extensions without SNI and ALPN, sorted, then the signature
	 * algorithms in the order sent. */
	n = h->n_exts < TLS_HELLO_LIST_MAX ? h->n_exts : TLS_HELLO_LIST_MAX;
	for (i = k = 0; i < n; i++)
		if (h->exts[i] != TLS_EXT_SERVER_NAME && h->exts[i] != TLS_EXT_ALPN)
			sorted[k++] = h->exts[i];
	qsort(sorted, k, sizeof(sorted[0]), cmp_u16);
	pos = 0;
	hex_list(buf, sizeof(buf), &pos, sorted, k);
	if (h->n_sigalgs && pos + 2 < sizeof(buf)) {
		buf[pos++] = '_';
		buf[pos] = '\0';
		hex_list(buf, sizeof(buf), &pos, h->sigalgs, h->n_sigalgs);
	}
	if (k)
		hash12(buf, pos, c);
	else
		memcpy(c, "000000000000", 13);
	snprintf(out, TLS_JA4_LEN + 1, "t%s%c%02u%02u%.2s_%s_%s", version_code(h->max_version),
		 h->has_sni_ext ? 'd' : 'i', h->n_ciphers > 99 ? 99 : h->n_ciphers,
		 h->n_exts > 99 ? 99 : h->n_exts, alpn, b, c);
}

unsigned int tls_server_version(const uint8_t *d, size_t len)
{
	struct tls_rd r;
	unsigned int v, ver, exts_len, hlen;
	size_t end;

	if (len < 9 || d[0] != TLS_CT_HANDSHAKE || d[1] != 3 || d[5] != TLS_HS_SERVER_HELLO)
		return 0;
	hlen = (unsigned int)d[6] << 16 | (unsigned int)d[7] << 8 | d[8];
	/* The ServerHello in its first record, as every stack sends it. */
	if ((size_t)hlen + 4 > ((size_t)d[3] << 8 | d[4]) || len < 9 + (size_t)hlen)
		return 0;
	r = (struct tls_rd){ .p = d + 9, .len = hlen };
	if (!rd_u16(&r, &ver) || !rd_skip(&r, 32) || !rd_u8(&r, &v) || !rd_skip(&r, v) ||
	    !rd_skip(&r, 3))
		return 0;
	if (!rd_u16(&r, &exts_len) || exts_len > r.len - r.off)
		return ver;
	end = r.off + exts_len;
	while (r.off + 4 <= end) {
		unsigned int type = 0, elen = 0;

		rd_u16(&r, &type);
		rd_u16(&r, &elen);
		if (elen > end - r.off)
			return ver;
		if (type == TLS_EXT_SUPPORTED_VERSIONS && elen == 2) {
			rd_u16(&r, &v);
			return v;
		}
		r.off += elen;
	}
	return ver;
}
