// SPDX-License-Identifier: GPL-2.0-or-later
/* Feed downloads: one bounded libcurl transfer, conditional GET, backoff. The fetch
 * thread that runs them for the daemon is feed_fetcher.c.
 *
 * Plain http:// is allowed: the minisign signature, not the transport, protects the
 * content, and feed_accept refuses replays. https:// always verifies the peer and its
 * name against the system CA store. Redirects may only lead to http(s), never file://. */
#include "config.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "feed_fetch.h"
#include "feed_fetch_int.h"

struct xfer {
	struct feed_fetch_result *r;
	size_t max_size, cap;
	bool too_big;
	const atomic_bool *stop;
};

int feed_fetch_global_init(void)
{
	static bool done;

	if (done)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	done = true;
	return 0;
}

void feed_fetch_opts_default(struct feed_fetch_opts *o)
{
	o->connect_timeout = 10;
	o->total_timeout = 60;
	o->max_size = 16u << 20;
}

unsigned int feed_backoff(unsigned int failures, unsigned int base, unsigned int cap,
			  uint32_t rnd)
{
	unsigned long long d = base ? base : 1;
	unsigned int i, half;

	for (i = 1; i < failures && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	/* Jitter keeps many gateways from hammering a provider in step after an outage. */
	half = (unsigned int)(d / 2);
	return half + (unsigned int)(rnd % ((unsigned int)d - half + 1));
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct feed_fetch_result *r = x->r;
	size_t n = size * nmemb;

	/* A server may lie about Content-Length or send no length at all: count what arrives. */
	if (n > x->max_size - r->len) {
		x->too_big = true;
		return 0;
	}
	if (r->len + n + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 16384;
		uint8_t *p;

		while (cap < r->len + n + 1)
			cap *= 2;
		if (cap > x->max_size + 1)
			cap = x->max_size + 1;
		p = realloc(r->body, cap);
		if (!p)
			return 0;
		r->body = p;
		x->cap = cap;
	}
	memcpy(r->body + r->len, ptr, n);
	r->len += n;
	return n;
}

/* Copy a header value, trimmed, if the line is "name: value". */
static void header_value(const char *line, size_t n, const char *name, char *out, size_t outsize)
{
	size_t nl = strlen(name), i, j;

	if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	for (i = nl + 1; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	for (j = n; j > i && (line[j - 1] == '\r' || line[j - 1] == '\n' || line[j - 1] == ' ');
	     j--)
		;
	if (j - i >= outsize)
		return;	/* an absurd validator is not worth remembering */
	memcpy(out, line + i, j - i);
	out[j - i] = '\0';
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	/* A redirect's headers come first; only the final response's validators count. */
	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
		memset(&x->r->cache, 0, sizeof(x->r->cache));
	header_value(ptr, n, "ETag", x->r->cache.etag, sizeof(x->r->cache.etag));
	header_value(ptr, n, "Last-Modified", x->r->cache.last_modified,
		     sizeof(x->r->cache.last_modified));
	return n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct xfer *x = arg;

	return x->stop && atomic_load(x->stop) ? 1 : 0;
}

enum feed_fetch_status feed_fetch_fail(struct feed_fetch_result *r, const char *fmt, ...)
{
	va_list ap;

	free(r->body);
	r->body = NULL;
	r->len = 0;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	r->status = FETCH_ERROR;
	return FETCH_ERROR;
}

static bool safe_header(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

enum feed_fetch_status feed_fetch_with(void *handle, const char *url,
				       const struct feed_fetch_opts *o,
				       const struct feed_fetch_cache *cond,
				       struct feed_fetch_result *r, const atomic_bool *stop)
{
	struct xfer x = { .r = r, .max_size = o->max_size, .stop = stop };
	struct curl_slist *hdrs = NULL, *h;
	char errbuf[CURL_ERROR_SIZE] = "", line[FETCH_ETAG_MAX + 32];
	CURL *c = handle;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	/* A kept handle keeps its connections and TLS sessions across resets:
	 * a poll every few seconds then costs no new handshake. */
	if (c)
		curl_easy_reset(c);
	else
		c = curl_easy_init();
	if (!c)
		return feed_fetch_fail(r, "curl_easy_init failed");
	if (cond && cond->etag[0] && safe_header(cond->etag)) {
		snprintf(line, sizeof(line), "If-None-Match: %s", cond->etag);
		if ((h = curl_slist_append(hdrs, line)))
			hdrs = h;
	}
	if (cond && cond->last_modified[0] && safe_header(cond->last_modified)) {
		snprintf(line, sizeof(line), "If-Modified-Since: %s", cond->last_modified);
		if ((h = curl_slist_append(hdrs, line)))
			hdrs = h;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http,file");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https,http");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTPS | CURLPROTO_HTTP |
						     CURLPROTO_FILE));
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTPS | CURLPROTO_HTTP));
#endif
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o->total_timeout);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_size);
	curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	/* The header list belongs to this transfer only. */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	if (!handle)
		curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	if (rc == CURLE_FILE_COULDNT_READ_FILE || (rc == CURLE_OK && (r->code == 404 || r->code == 410))) {
		if (rc == CURLE_OK)
			feed_fetch_fail(r, "HTTP status %ld", r->code);
		else
			feed_fetch_fail(r, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		r->missing = true;
		return FETCH_ERROR;
	}
	if (x.too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return feed_fetch_fail(r, "larger than max_size (%zu bytes)", o->max_size);
	if (rc != CURLE_OK)
		return feed_fetch_fail(r, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	if (r->code == 304) {
		free(r->body);
		r->body = NULL;
		r->len = 0;
		snprintf(r->reason, sizeof(r->reason), "not modified");
		r->status = FETCH_UNCHANGED;
		return FETCH_UNCHANGED;
	}
	if (r->code != 0 && r->code != 200)
		return feed_fetch_fail(r, "HTTP status %ld", r->code);
	if (!r->body && !(r->body = malloc(1)))
		return feed_fetch_fail(r, "out of memory");
	r->body[r->len] = '\0';
	snprintf(r->reason, sizeof(r->reason), "%zu bytes", r->len);
	r->status = FETCH_OK;
	return FETCH_OK;
}

enum feed_fetch_status feed_fetch_get(const char *url, const struct feed_fetch_opts *o,
				      const struct feed_fetch_cache *cond,
				      struct feed_fetch_result *r)
{
	return feed_fetch_with(NULL, url, o, cond, r, NULL);
}

void *feed_fetch_handle_new(void)
{
	return curl_easy_init();
}

void feed_fetch_handle_free(void *handle)
{
	if (handle)
		curl_easy_cleanup(handle);
}

void feed_fetch_result_fini(struct feed_fetch_result *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

