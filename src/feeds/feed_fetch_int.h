/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by feed_fetch.c and feed_fetcher.c only: one transfer on a kept libcurl handle. */
#ifndef MW_FEED_FETCH_INT_H
#define MW_FEED_FETCH_INT_H

#include <stdatomic.h>

#include "feed_fetch.h"

/* A libcurl easy handle (CURL *) to reuse across transfers, or NULL. */
void *feed_fetch_handle_new(void);
void feed_fetch_handle_free(void *handle);
/* One download as feed_fetch_get, on handle (NULL: a fresh one), cut short
 * when *stop becomes true. */
enum feed_fetch_status feed_fetch_with(void *handle, const char *url,
				       const struct feed_fetch_opts *o,
				       const struct feed_fetch_cache *cond,
				       struct feed_fetch_result *r, const atomic_bool *stop);
/* r becomes FETCH_ERROR with the reason; its body is freed. */
enum feed_fetch_status feed_fetch_fail(struct feed_fetch_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
