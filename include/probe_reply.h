/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the prober says to a suspect server in each mining dialect, and how
 * the server's answer is judged: only a reply in a mining protocol's shape
 * confirms a pool. */
#ifndef MW_PROBE_REPLY_H
#define MW_PROBE_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum probe_dialect {
	PROBE_CRYPTONOTE = 0,	/* XMRig/CryptoNote "login" */
	PROBE_BITCOIN,		/* Stratum v1 "mining.subscribe" */
	PROBE_ETHSTRATUM,	/* NiceHash "mining.subscribe" with EthereumStratum/1.0.0 */
	PROBE_ETHPROXY,		/* "eth_submitLogin", then "eth_getWork" */
	PROBE_GETWORK,		/* HTTP POST of "getwork" */
	PROBE_N_DIALECTS
};

/* "cryptonote", "bitcoin", "ethereumstratum", "ethproxy", "getwork". */
const char *probe_dialect_name(enum probe_dialect d);

/* The request to send, into buf (host:port for getwork's Host header).
 * Its length, or -1 when it does not fit. */
int probe_request(enum probe_dialect d, const char *host, char *buf, size_t size);

enum probe_verdict {
	PROBE_MORE = 0,		/* keep reading */
	PROBE_MINING,		/* a pool's answer: *what says which */
	PROBE_NOT_MINING,	/* an answer, and not a pool's: *what says what */
};

/* Judge the reply to dialect d's request held so far (len bytes; eof: the
 * server closed or the wait is over). what (at least 96 bytes) gets a short
 * account: "subscribe extranonce1=...", "login result with a job",
 * "error: Invalid wallet address", "json-rpc error: Method not found",
 * "http 404", "garbage", "closed". *shown: the dialect the answer proves
 * (NiceHash's subscription answers the Bitcoin request too). */
enum probe_verdict probe_reply_classify(enum probe_dialect d, const uint8_t *buf, size_t len,
					bool eof, char *what, size_t wsize,
					enum probe_dialect *shown);

#endif
