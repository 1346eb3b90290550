// SPDX-License-Identifier: GPL-2.0-or-later
/* One probe of a suspect endpoint: connect, TLS or plain text, each mining dialect, judge the answer. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "clock.h"
#include "probe_net.h"

/* A dialect gets at most this long for its answer; the probe's deadline
 * bounds them all. */
#define DIALECT_WAIT_MS 2000
#define REPLY_MAX 4096

/* The order dialects are tried in: XMRig's first, the commonest TLS miner. */
static const enum probe_dialect order[] = {
	PROBE_CRYPTONOTE, PROBE_BITCOIN, PROBE_ETHSTRATUM, PROBE_ETHPROXY, PROBE_GETWORK,
};

static const char *const outcome_names[PROBE_N_OUTCOMES] = {
	[PROBE_CONFIRMED] = "confirmed", [PROBE_NEGATIVE] = "negative",
	[PROBE_UNREACHABLE] = "unreachable", [PROBE_SKIPPED] = "skipped",
	[PROBE_LIMITED] = "limited",
};

const char *probe_outcome_name(enum probe_outcome o)
{
	return (unsigned int)o < PROBE_N_OUTCOMES ? outcome_names[o] : "?";
}

struct conn {
	int fd;
	SSL *ssl;
};

void *probe_net_ctx_new(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	/* Pools use self-signed certificates: what is checked is what they say. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

void probe_net_ctx_free(void *ctx)
{
	SSL_CTX_free(ctx);
}

/* 1 ready, 0 deadline passed, -1 error. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = now_monotonic_ms();
		struct pollfd p = { .fd = fd, .events = events };
		int rc;

		if (now >= deadline)
			return 0;
		rc = poll(&p, 1, (int)(deadline - now));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		if (rc == 0)
			return 0;
		return 1;
	}
}

static void conn_close(struct conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
}

static int conn_open(struct probe_job *j, uint64_t deadline, struct conn *c)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int err = 0;

	c->ssl = NULL;
	c->fd = socket(j->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	j->connections++;
	if (j->mark && setsockopt(c->fd, SOL_SOCKET, SO_MARK, &j->mark, sizeof(j->mark)) < 0)
		goto fail;
	if (j->ifname[0] && setsockopt(c->fd, SOL_SOCKET, SO_BINDTODEVICE, j->ifname,
				       (socklen_t)strlen(j->ifname)) < 0)
		goto fail;
	if (j->src_len && bind(c->fd, (struct sockaddr *)&j->src, j->src_len) < 0)
		goto fail;
	if (j->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(j->port);
		memcpy(&sin->sin_addr, j->addr, 4);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(j->port);
		memcpy(&sin6->sin6_addr, j->addr, 16);
		len = sizeof(*sin6);
	}
	if (connect(c->fd, (struct sockaddr *)&ss, len) < 0) {
		socklen_t el = sizeof(err);

		if (errno != EINPROGRESS || wait_fd(c->fd, POLLOUT, deadline) != 1 ||
		    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err)
			goto fail;
	}
	return 0;
fail:
	conn_close(c);
	return -1;
}

/* Drive an SSL call that may want to read or write until it is done. */
static int ssl_wait(struct conn *c, int rc, uint64_t deadline)
{
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return wait_fd(c->fd, POLLIN, deadline) == 1 ? 0 : -1;
	case SSL_ERROR_WANT_WRITE:
		return wait_fd(c->fd, POLLOUT, deadline) == 1 ? 0 : -1;
	}
	return -1;
}

static int conn_tls(struct probe_job *j, struct conn *c, uint64_t deadline)
{
	int rc;

	c->ssl = SSL_new(j->ssl_ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
		return -1;
	while ((rc = SSL_connect(c->ssl)) != 1)
		if (ssl_wait(c, rc, deadline) < 0)
			return -1;
	return 0;
}

static int conn_write(struct conn *c, const char *buf, size_t len, uint64_t deadline)
{
	while (len) {
		ssize_t n;

		if (c->ssl) {
			int rc = SSL_write(c->ssl, buf, (int)len);

			if (rc <= 0) {
				if (ssl_wait(c, rc, deadline) < 0)
					return -1;
				continue;
			}
			n = rc;
		} else {
			n = send(c->fd, buf, len, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				if (wait_fd(c->fd, POLLOUT, deadline) != 1)
					return -1;
				continue;
			}
			if (n < 0)
				return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Bytes read (> 0), 0 at the end of the stream or on an error, -1 when the
 * deadline passed first. */
static ssize_t conn_read(struct conn *c, uint8_t *buf, size_t cap, uint64_t deadline)
{
	for (;;) {
		if (c->ssl) {
			int rc = SSL_read(c->ssl, buf, (int)cap);
			int e;

			if (rc > 0)
				return rc;
			e = SSL_get_error(c->ssl, rc);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				int w = wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
						deadline);

				if (w == 0)
					return -1;
				if (w < 0)
					return 0;
				continue;
			}
			return 0;
		} else {
			ssize_t n = recv(c->fd, buf, cap, 0);
			int w;

			if (n >= 0)
				return n;
			if (errno != EAGAIN && errno != EINTR)
				return 0;
			w = wait_fd(c->fd, POLLIN, deadline);
			if (w == 0)
				return -1;
			if (w < 0)
				return 0;
		}
	}
}

enum try_result { TRY_UNREACHABLE, TRY_NO_TLS, TRY_SILENT, TRY_ANSWERED, TRY_MINING };

/* One dialect on a connection of its own. */
static enum try_result try_dialect(struct probe_job *j, bool tls, enum probe_dialect d,
				   uint64_t deadline)
{
	uint64_t until = now_monotonic_ms() + DIALECT_WAIT_MS;
	uint8_t reply[REPLY_MAX];
	char req[512], host[80], addr[64], what[sizeof(j->got)];
	size_t len = 0;
	struct conn c;
	enum try_result res = TRY_SILENT;
	enum probe_dialect shown = d;
	int n;

	if (until > deadline)
		until = deadline;
	if (!inet_ntop(j->family, j->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	snprintf(host, sizeof(host), j->family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, j->port);
	n = probe_request(d, host, req, sizeof(req));
	if (n < 0)
		return TRY_SILENT;
	if (conn_open(j, until, &c) < 0)
		return TRY_UNREACHABLE;
	if (tls && conn_tls(j, &c, until) < 0) {
		conn_close(&c);
		ERR_clear_error();
		return TRY_NO_TLS;
	}
	if (conn_write(&c, req, (size_t)n, until) < 0)
		goto out;
	for (;;) {
		ssize_t r = len < sizeof(reply) ? conn_read(&c, reply + len, sizeof(reply) - len, until)
						 : 0;
		bool eof = r <= 0;
		enum probe_verdict v;

		if (r > 0)
			len += (size_t)r;
		if (eof && len == 0 && r < 0)
			break;	/* silence: nothing said before the wait ended */
		v = probe_reply_classify(d, reply, len, eof, what, sizeof(what), &shown);
		if (v == PROBE_MORE)
			continue;
		snprintf(j->got, sizeof(j->got), "%s", what);
		j->answered = true;
		j->dialect = shown;
		j->tls = tls;
		res = v == PROBE_MINING ? TRY_MINING : TRY_ANSWERED;
		break;
	}
out:
	conn_close(&c);
	ERR_clear_error();
	return res;
}

void probe_net_run(struct probe_job *j)
{
	uint64_t start = now_monotonic_ms(), deadline = start + j->timeout_ms;
	bool connected = false, answered = false;
	int pass;
	size_t i;

	j->outcome = PROBE_NEGATIVE;
	j->answered = false;
	j->got[0] = '\0';
	j->connections = 0;
	/* TLS first, as the suspect spoke; plain text when TLS is refused (a
	 * pool answering a ClientHello with a JSON error speaks it in clear). */
	for (pass = 0; pass < 2; pass++) {
		bool tls = pass == 0, tls_spoken = false;

		for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			enum try_result r;

			if (now_monotonic_ms() >= deadline || (j->stop && *j->stop))
				goto done;
			r = try_dialect(j, tls, order[i], deadline);
			if (r == TRY_UNREACHABLE) {
				if (!connected)
					j->outcome = PROBE_UNREACHABLE;
				goto done;
			}
			connected = true;
			if (r == TRY_NO_TLS)
				break;
			tls_spoken = tls;
			if (r == TRY_MINING) {
				j->outcome = PROBE_CONFIRMED;
				goto done;
			}
			if (r == TRY_ANSWERED)
				answered = true;
		}
		if (tls_spoken)
			break;
	}
done:
	if (j->outcome == PROBE_NEGATIVE && !answered)
		snprintf(j->got, sizeof(j->got), "%s", connected ? "no answer" : "no connection");
	if (j->outcome == PROBE_UNREACHABLE)
		snprintf(j->got, sizeof(j->got), "no connection");
	j->elapsed_ms = (uint32_t)(now_monotonic_ms() - start);
}
