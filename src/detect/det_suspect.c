// SPDX-License-Identifier: GPL-2.0-or-later
/* TLS suspicion: a ClientHello and first records shaped like an encrypted miner's, for the prober. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "det_net.h"
#include "tls_hello.h"

/* Signals, their weights and the score that makes a suspect. Chosen from
 * real clients' bytes (tests/unit/detect/test_det_suspect.c and
 * minewall.conf(5) say which): browsers name a host, offer ALPN and use 443;
 * miners reached by address send no name or the address itself, offer no
 * ALPN, use their pool's port and a library's default hello. */
enum signal {
	SIG_NO_SNI,	/* no server_name at all */
	SIG_IP_SNI,	/* server_name is an address literal (XMRig sends its -o host) */
	SIG_PORT,	/* a port browsers do not use for HTTPS */
	SIG_POOL_PORT,	/* a port of the pool port list */
	SIG_NO_ALPN,	/* no ALPN: no HTTP client library omits it today */
	SIG_JA4,	/* the fingerprint of a miner's TLS stack (table below) */
	SIG_RECORDS,	/* first application records: one login-sized request, then an answer */
	SIG_N
};

static const struct {
	const char *name;
	unsigned int weight;
} signals[SIG_N] = {
	[SIG_NO_SNI] = { "no_sni", 1 },
	[SIG_IP_SNI] = { "ip_sni", 1 },
	[SIG_PORT] = { "port", 1 },
	[SIG_POOL_PORT] = { "pool_port", 2 },
	[SIG_NO_ALPN] = { "no_alpn", 1 },
	[SIG_JA4] = { "ja4", 1 },
	[SIG_RECORDS] = { "records", 1 },
};

#define SUSPECT_SCORE 2

/* Known miner TLS stacks, by JA4 as sent with a server_name. A hello
 * without one ('i') has one extension fewer and the same hashes: a miner
 * reached by address and by name is the same stack. How each was derived is
 * in minewall.conf(5), SUSPICION. */
static const struct {
	const char *ja4;
	const char *stack;
} miner_ja4[] = {
	/* OpenSSL 3.0's defaults with no ALPN, as `openssl s_client` sends them
	 * (OpenSSL 3.0.19): the library's own hello, which XMRig (Tls.cpp sets
	 * nothing but the host name) and other OpenSSL-linked miners send. */
	{ "t13d311000_e8f1e7e78f70_1f22a2ca17c4", "openssl-3.0" },
	/* bfgminer 5.2.0 stratum+tls (libcurl, OpenSSL 1.0), real capture:
	 * zeekcm-bitcoin-mining.pcap frame 25. */
	{ "t12d5410h1_a499d9840d02_7448b1316cd7", "bfgminer-5" },
};

/* Browsers' HTTPS ports. */
static bool browser_port(uint16_t port)
{
	return port == 443 || port == 8443;
}

static bool ip_literal(const uint8_t *name, size_t len)
{
	char buf[64];
	uint8_t a[16];

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, name, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, a) == 1 || inet_pton(AF_INET6, buf, a) == 1;
}

static const char *ja4_stack(const char *ja4)
{
	char norm[TLS_JA4_LEN + 1];
	size_t i;

	/* "t13i3109..." reads as "t13d3110...". */
	snprintf(norm, sizeof(norm), "%s", ja4);
	if (norm[3] == 'i' && norm[6] >= '0' && norm[6] <= '9' && norm[7] >= '0' && norm[7] <= '9') {
		unsigned int n = (unsigned int)(norm[6] - '0') * 10 + (unsigned int)(norm[7] - '0') + 1;

		if (n <= 99) {
			norm[3] = 'd';
			norm[6] = (char)('0' + n / 10);
			norm[7] = (char)('0' + n % 10);
		}
	}
	for (i = 0; i < sizeof(miner_ja4) / sizeof(miner_ja4[0]); i++)
		if (strcmp(miner_ja4[i].ja4, norm) == 0)
			return miner_ja4[i].stack;
	return NULL;
}

/* Record lengths: plaintext plus the AEAD's overhead (TLS 1.3: tag and
 * content type, 17; TLS 1.2 GCM: explicit nonce and tag, 24). A Stratum
 * login (mining.subscribe 60-150 bytes, XMRig login 200-500) and a pool's
 * answer (subscription, job: 80-2000). */
#define LOGIN_MIN (40 + 16)
#define LOGIN_MAX (700 + 24)
#define ANSWER_MIN (50 + 16)
#define ANSWER_MAX (4096 + 24)

struct rec_walk {
	unsigned int n_app;		/* application records held whole */
	size_t app_len[3];		/* the first ones' lengths */
	bool bad;			/* an alert or a non-TLS byte */
};

/* Whole records of d from off. */
static void walk(const uint8_t *d, size_t len, size_t off, struct rec_walk *w)
{
	memset(w, 0, sizeof(*w));
	while (len - off >= 5) {
		size_t rlen = (size_t)d[off + 3] << 8 | d[off + 4];

		if (d[off + 1] != 3 || d[off] < TLS_CT_CCS || d[off] > TLS_CT_APPDATA ||
		    d[off] == TLS_CT_ALERT) {
			w->bad = true;
			return;
		}
		if (len - off - 5 < rlen)
			return;
		if (d[off] == TLS_CT_APPDATA) {
			if (w->n_app < 3)
				w->app_len[w->n_app] = rlen;
			w->n_app++;
		}
		off += 5 + rlen;
	}
}

/* The records signal: DET_MATCH, DET_MORE (not yet), DET_NO (never). The
 * client's first application record (after its Finished in TLS 1.3) must be
 * login-sized, and a server packet must bring an answer-sized record while
 * the client has sent nothing more: a request answered, Stratum's rhythm. */
static enum det_result records(const struct det_stream *s, size_t hello_end)
{
	unsigned int ver = tls_server_version(s->data[FLOW_REPLY], s->len[FLOW_REPLY]);
	unsigned int first;
	struct rec_walk c, r;
	size_t off, pkt_start;

	if (!ver)
		return s->len[FLOW_REPLY] > 5 && s->data[FLOW_REPLY][0] != TLS_CT_HANDSHAKE ? DET_NO
										    : DET_MORE;
	walk(s->data[FLOW_ORIG], s->len[FLOW_ORIG], hello_end, &c);
	if (c.bad)
		return DET_NO;
	first = ver == 0x0304 ? 1 : 0;
	if (c.n_app <= first)
		return DET_MORE;
	if (c.n_app > first + 1 || c.app_len[first] < LOGIN_MIN || c.app_len[first] > LOGIN_MAX)
		return DET_NO;
	if (s->dir != FLOW_REPLY || !s->pkt_len)
		return DET_MORE;
	/* The server's records that end in this packet. */
	pkt_start = s->len[FLOW_REPLY] - (s->pkt_len < s->len[FLOW_REPLY] ? s->pkt_len
									   : s->len[FLOW_REPLY]);
	for (off = 0; s->len[FLOW_REPLY] - off >= 5;) {
		const uint8_t *d = s->data[FLOW_REPLY] + off;
		size_t rlen = (size_t)d[3] << 8 | d[4];

		if (d[1] != 3 || d[0] == TLS_CT_ALERT)
			return DET_NO;
		if (s->len[FLOW_REPLY] - off - 5 < rlen)
			break;
		off += 5 + rlen;
		if (off > pkt_start && d[0] == TLS_CT_APPDATA && rlen >= ANSWER_MIN &&
		    rlen <= ANSWER_MAX)
			return DET_MATCH;
	}
	walk(s->data[FLOW_REPLY], s->len[FLOW_REPLY], 0, &r);
	return r.bad ? DET_NO : DET_MORE;
}

static enum det_result report(const struct tls_hello *h, uint32_t sigs, unsigned int score,
			      const char *ja4, const char *stack, struct det_finding *out)
{
	size_t pos, i;
	unsigned int k;
	bool first = true;
	int n;

	snprintf(out->dialect, sizeof(out->dialect), "tls");
	n = snprintf(out->detail, sizeof(out->detail), "score=%u signals=", score);
	pos = n > 0 ? (size_t)n : 0;
	for (k = 0; k < SIG_N; k++) {
		if (!(sigs & (1u << k)))
			continue;
		n = snprintf(out->detail + pos, sizeof(out->detail) - pos, "%s%s", first ? "" : ",",
			     signals[k].name);
		first = false;
		if (n < 0 || (size_t)n >= sizeof(out->detail) - pos)
			return DET_MATCH;
		pos += (size_t)n;
		if (k == SIG_JA4 && stack) {
			n = snprintf(out->detail + pos, sizeof(out->detail) - pos, "(%s)", stack);
			if (n > 0 && (size_t)n < sizeof(out->detail) - pos)
				pos += (size_t)n;
		}
	}
	if (out->detail[pos - 1] == '=')
		out->detail[--pos] = '\0';
	n = snprintf(out->detail + pos, sizeof(out->detail) - pos, " ja4=%s", ja4);
	if (n > 0 && (size_t)n < sizeof(out->detail) - pos)
		pos += (size_t)n;
	if (h->sni && h->sni_len) {
		n = snprintf(out->detail + pos, sizeof(out->detail) - pos, " sni=");
		if (n > 0 && (size_t)n < sizeof(out->detail) - pos) {
			pos += (size_t)n;
			for (i = 0; i < h->sni_len && pos < sizeof(out->detail) - 1; i++)
				out->detail[pos++] = (h->sni[i] > 0x20 && h->sni[i] < 0x7f) ?
							     (char)h->sni[i] : '?';
			out->detail[pos] = '\0';
		}
		/* A name the allowlist may know. */
		if (!(sigs & (1u << SIG_IP_SNI)) && h->sni_len < sizeof(out->name)) {
			for (i = 0; i < h->sni_len; i++)
				out->name[i] = (h->sni[i] > 0x20 && h->sni[i] < 0x7f) ? (char)h->sni[i] : '?';
			out->name[i] = '\0';
		}
	}
	out->suspect = true;
	return DET_MATCH;
}

static enum det_result suspect_inspect(const struct det_env *env, const struct det_stream *s,
				       struct det_finding *out)
{
	uint8_t hs[TLS_HELLO_MAX];
	const uint8_t *d = s->data[FLOW_ORIG];
	size_t len = s->len[FLOW_ORIG], hslen = 0, need = 0, hello_end = 0;
	uint16_t port = s->key->port[1];
	struct tls_hello h;
	char ja4[TLS_JA4_LEN + 1];
	const char *stack;
	unsigned int score = 0, k;
	uint32_t sigs = 0;
	enum det_result rr;

	if (s->midstream)
		return DET_NO;
	/* Cheap exit for everything that does not start like a TLS handshake record. */
	if (len >= 1 && d[0] != TLS_CT_HANDSHAKE)
		return DET_NO;
	if (len >= 2 && d[1] != 3)
		return DET_NO;
	if (tls_hello_gather(d, len, hs, &hslen, &need, &hello_end) == TLS_BAD)
		return DET_NO;
	if (!need || hslen < need || !hello_end)
		return s->full[FLOW_ORIG] ? DET_NO : DET_MORE;
	if (tls_hello_parse(hs, need, &h) != TLS_DONE)
		return DET_NO;

	if (!h.has_sni_ext || !h.sni || !h.sni_len)
		sigs |= 1u << SIG_NO_SNI;
	else if (ip_literal(h.sni, h.sni_len))
		sigs |= 1u << SIG_IP_SNI;
	if (det_port_listed(env, port))
		sigs |= 1u << SIG_POOL_PORT;
	else if (!browser_port(port))
		sigs |= 1u << SIG_PORT;
	if (!h.alpn)
		sigs |= 1u << SIG_NO_ALPN;
	tls_hello_ja4(&h, ja4);
	stack = ja4_stack(ja4);
	if (stack)
		sigs |= 1u << SIG_JA4;
	for (k = 0; k < SIG_N; k++)
		if (sigs & (1u << k))
			score += signals[k].weight;
	if (score >= SUSPECT_SCORE)
		return report(&h, sigs, score, ja4, stack, out);
	/* One signal short: the first records may still tell. */
	if (score + signals[SIG_RECORDS].weight < SUSPECT_SCORE)
		return DET_NO;
	rr = records(s, hello_end);
	if (rr == DET_MATCH) {
		sigs |= 1u << SIG_RECORDS;
		return report(&h, sigs, score + signals[SIG_RECORDS].weight, ja4, stack, out);
	}
	if (rr == DET_NO || (s->full[FLOW_ORIG] && s->full[FLOW_REPLY]))
		return DET_NO;
	return DET_MORE;
}

const struct detector det_tls_suspect = {
	.name = "tls-suspect",
	.protos = DET_P_TCP,
	.inspect = suspect_inspect,
};
