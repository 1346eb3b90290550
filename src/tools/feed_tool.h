/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by minewall-feed's files only: options, exits, file helpers, the index commands. */
#ifndef MW_FEED_TOOL_H
#define MW_FEED_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "minisign.h"

/* Exit codes, documented in minewall-feed(1). */
#define EX_OK		0
#define EX_REJECT	1	/* signature, format or policy failure */
#define EX_USAGE	2
#define EX_SYS		3	/* file or system error */

#define MAX_PINNED	8

struct opts {
	const char *pub[MAX_PINNED];
	size_t npub;
	const char *sec, *out, *sig, *provider, *base, *reason, *current, *next;
	uint64_t serial, expires_in, ttl;
	int64_t issued, at;
	bool have_serial, nopass, kdf_fast, delta, tc_only;
	int pwfd;
};

/* minewall-feed.c */
void usage(void) __attribute__((noreturn));
void fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* Whole file, at most max bytes (max + 1 read tells the caller it is larger). */
uint8_t *slurp(const char *path, size_t max, size_t *len);
void spit(const char *path, const void *data, size_t len, int excl);
void load_pubkey(const char *path, struct minisign_pubkey *pk);

/* feed_tool_index.c: minewall-feed index, and verify and show of an index. */
int cmd_index(struct opts *o, int argc, char **argv);
void index_verify(const char *file, const uint8_t *body, size_t len, const uint8_t *sig,
		  size_t slen, const struct minisign_pubkey *keys, size_t nkeys, time_t now);
void index_show(const char *file, const uint8_t *body, size_t len, bool tc_only);

#endif
