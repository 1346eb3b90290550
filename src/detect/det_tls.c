// SPDX-License-Identifier: GPL-2.0-or-later
/* TLS ClientHello on any TCP port: the SNI against the pool domain list. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "det_net.h"
#include "domain_set.h"
#include "tls_hello.h"

#define TLS_EXT_SERVER_NAME 0x0000

/* Walk a ClientHello (hslen bytes held of need) to the server_name extension.
 * TLS_SHORT when the bytes held end before the answer is known. */
/* SNI carries no TTL: an hour, as a typical pool DNS record. */
#define TLS_LEARNED_TTL 3600

static enum tls_parse tls_sni(const uint8_t *hs, size_t hslen, size_t need,
			      const uint8_t **name, size_t *nlen)
{
	struct tls_rd r = { .p = hs, .len = hslen, .off = 4 };
	unsigned int v, ver, exts_len;
	size_t exts_end;
	bool complete = need && hslen >= need;

	if (!need)
		return TLS_SHORT;
	if (!rd_u16(&r, &ver) || !rd_skip(&r, 32))
		goto short_;
	if ((ver >> 8) != 3)
		return TLS_BAD;
	if (!rd_u8(&r, &v))	/* session id */
		goto short_;
	if (v > 32)
		return TLS_BAD;
	if (!rd_skip(&r, v) || !rd_u16(&r, &v))	/* cipher suites */
		goto short_;
	if (v < 2 || (v & 1))
		return TLS_BAD;
	if (!rd_skip(&r, v) || !rd_u8(&r, &v))	/* compression methods */
		goto short_;
	if (v < 1)
		return TLS_BAD;
	if (!rd_skip(&r, v))
		goto short_;
	if (r.off == need)
		return TLS_NO_SNI;	/* no extensions at all */
	if (!rd_u16(&r, &exts_len))
		goto short_;
	if (exts_len > need - r.off)
		return TLS_BAD;
	exts_end = r.off + exts_len;
	while (r.off + 4 <= exts_end) {
		unsigned int type, elen, list_len, ntype, l;
		struct tls_rd x;

		if (!rd_u16(&r, &type) || !rd_u16(&r, &elen))
			goto short_;
		if (elen > exts_end - r.off)
			return TLS_BAD;
		if (type != TLS_EXT_SERVER_NAME) {
			if (!rd_skip(&r, elen))
				goto short_;
			continue;
		}
		if (elen > r.len - r.off)
			goto short_;
		x = (struct tls_rd){ .p = r.p + r.off, .len = elen };
		if (!rd_u16(&x, &list_len) || list_len > elen - 2)
			return TLS_BAD;
		x.len = 2 + list_len;
		while (rd_u8(&x, &ntype) && rd_u16(&x, &l)) {
			if (l > x.len - x.off)
				return TLS_BAD;
			if (ntype == 0) {
				*name = x.p + x.off;
				*nlen = l;
				return TLS_SNI;
			}
			x.off += l;
		}
		return TLS_NO_SNI;
	}
	return TLS_NO_SNI;
short_:
	return complete ? TLS_BAD : TLS_SHORT;
}

static enum det_result tls_inspect(const struct det_env *env, const struct det_stream *s,
				   struct det_finding *out)
{
	uint8_t hs[TLS_HELLO_MAX];
	const uint8_t *d = s->data[FLOW_ORIG], *name = NULL;
	size_t len = s->len[FLOW_ORIG], hslen = 0, need = 0, nlen = 0, rec_end, i;
	char matched[256];
	enum tls_parse rc;

	if (s->midstream || !env->pool_domains)
		return DET_NO;
	/* Cheap exit for everything that does not start like a TLS handshake record. */
	if (len >= 1 && d[0] != TLS_CT_HANDSHAKE)
		return DET_NO;
	if (len >= 2 && d[1] != 3)
		return DET_NO;
	rc = tls_hello_gather(d, len, hs, &hslen, &need, &rec_end);
	if (rc == TLS_SHORT)
		rc = tls_sni(hs, hslen, need, &name, &nlen);
	if (rc == TLS_SHORT)
		return s->full[FLOW_ORIG] ? DET_NO : DET_MORE;
	if (rc != TLS_SNI || nlen == 0 || nlen > 253)
		return DET_NO;
	/* With ECH the inner name is encrypted; the outer (public) name is what is matched. */
	if (!domain_set_match(env->pool_domains, (const char *)name, nlen, matched, sizeof(matched)))
		return DET_NO;
	snprintf(out->dialect, sizeof(out->dialect), "tls");
	memcpy(out->detail, "sni=", 4);
	for (i = 0; i < nlen && 4 + i < sizeof(out->detail) - 1; i++)
		out->detail[4 + i] = (name[i] > 0x20 && name[i] < 0x7f) ? (char)name[i] : '?';
	out->detail[4 + i] = '\0';
	snprintf(out->name, sizeof(out->name), "%s", out->detail + 4);
	/* The server that answers to a pool's name is a pool address: teach it,
	 * so later flows to it without a name (ECH, resumption) are caught too.
	 * Inside a tunnel to a name there is no address to teach. */
	if (s->key->family != AF_INET && s->key->family != AF_INET6)
		return DET_MATCH;
	out->learned[0].family = s->key->family;
	memcpy(out->learned[0].addr, s->key->addr[1], sizeof(out->learned[0].addr));
	out->learned[0].ttl = TLS_LEARNED_TTL;
	out->n_learned = 1;
	return DET_MATCH;
}

const struct detector det_tls_sni = {
	.name = "tls-sni",
	.protos = DET_P_TCP,
	.teaches = true,
	.inspect = tls_inspect,
};
