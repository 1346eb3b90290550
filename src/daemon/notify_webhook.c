// SPDX-License-Identifier: GPL-2.0-or-later
/* Webhook receivers: one HTTP(S) POST of the document per attempt, signed with HMAC-SHA256.
 *
 * What comes back is judged by its status code alone: 2xx is delivered,
 * anything else is retried. The body is read and thrown away unparsed, no
 * redirect is followed, and nothing in the answer reaches the rest of the
 * daemon, so a receiver (or whoever holds its address) cannot change the
 * gateway. https:// verifies the peer and its name against the system CA store.
 *
 * The signature is libsodium's crypto_auth_hmacsha256 (the streaming form,
 * which takes a key of any length): libsodium is already linked for the feed
 * signatures, and HMAC-SHA256 is what receivers check with their standard
 * library (Python's hmac, Go's crypto/hmac, OpenSSL). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "notify_int.h"

/* The answer's body is not read beyond what curl hands over, and then dropped. */
static size_t discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * nmemb;
}

void notify_webhook_sign(const uint8_t *key, size_t key_len, const char *body, size_t len,
			 char out[72])
{
	crypto_auth_hmacsha256_state st;
	uint8_t mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, key, key_len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "sha256=", 7);
	sodium_bin2hex(out + 7, 72 - 7, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
}

static int add_header(struct notify_job *j, const char *line)
{
	struct curl_slist *h = curl_slist_append(j->hdrs, line);

	if (!h)
		return -1;
	j->hdrs = h;
	return 0;
}

int notify_webhook_start(CURLM *multi, struct notify_job *j, char *why, size_t size)
{
	const struct notify_rcv *r = j->rcv;
	char line[160], sig[72];
	CURL *c;

	j->errbuf[0] = '\0';
	j->hdrs = NULL;
	c = curl_easy_init();
	if (!c) {
		snprintf(why, size, "curl_easy_init failed");
		return -1;
	}
	/* "Expect:" keeps curl from waiting for a 100 Continue before larger bodies. */
	if (add_header(j, "Content-Type: application/json") < 0 || add_header(j, "Expect:") < 0)
		goto oom;
	snprintf(line, sizeof(line), "X-Minewall-Event: %s", j->event);
	if (add_header(j, line) < 0)
		goto oom;
	snprintf(line, sizeof(line), "X-Minewall-Delivery: %s", j->id);
	if (add_header(j, line) < 0)
		goto oom;
	if (r->key) {
		notify_webhook_sign(r->key, r->key_len, j->doc, j->len, sig);
		snprintf(line, sizeof(line), "X-Minewall-Signature: %s", sig);
		if (add_header(j, line) < 0)
			goto oom;
	}
	curl_easy_setopt(c, CURLOPT_URL, r->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTPS | CURLPROTO_HTTP));
#endif
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)r->timeout_s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)r->timeout_s);
	curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, j->hdrs);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->doc);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(c, CURLOPT_PRIVATE, (char *)j);
	if (curl_multi_add_handle(multi, c) != CURLM_OK) {
		snprintf(why, size, "curl_multi_add_handle failed");
		goto err;
	}
	j->easy = c;
	return 0;
oom:
	snprintf(why, size, "out of memory");
err:
	curl_easy_cleanup(c);
	curl_slist_free_all(j->hdrs);
	j->hdrs = NULL;
	return -1;
}

static void release(CURLM *multi, struct notify_job *j)
{
	curl_multi_remove_handle(multi, j->easy);
	curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->hdrs);
	j->easy = NULL;
	j->hdrs = NULL;
}

enum notify_outcome notify_webhook_finish(CURLM *multi, struct notify_job *j, CURLcode rc,
					  char *why, size_t size)
{
	long code = 0;
	enum notify_outcome o;

	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(why, size, "no answer within %u s", j->rcv->timeout_s);
		o = NOTIFY_TIMEOUT;
	} else if (rc != CURLE_OK) {
		snprintf(why, size, "%s", j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc));
		o = NOTIFY_ERROR;
	} else if (code >= 200 && code <= 299) {
		snprintf(why, size, "HTTP status %ld", code);
		o = NOTIFY_DELIVERED;
	} else {
		snprintf(why, size, "HTTP status %ld", code);
		o = NOTIFY_REJECTED;
	}
	release(multi, j);
	return o;
}

void notify_webhook_abort(CURLM *multi, struct notify_job *j)
{
	if (j->easy)
		release(multi, j);
}
