// SPDX-License-Identifier: GPL-2.0-or-later
/* Notify receivers: settings from the config, the webhook key read, shared by reference count. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sodium.h>

#include "notify.h"

/* The key as notify_rcv_new wants it; the config checker said the same at load. */
static int read_key(const char *path, uint8_t **key, size_t *len, char *err, size_t size)
{
	struct stat st;
	uint8_t *buf = NULL;
	ssize_t r;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), ret = -1;

	if (fd < 0) {
		snprintf(err, size, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) ||
	    st.st_uid != geteuid() || st.st_size < 16 || st.st_size > 4096) {
		snprintf(err, size, "%s: must be a regular file of uid %u, mode 0600, of 16..4096 bytes",
			 path, (unsigned int)geteuid());
		goto out;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		snprintf(err, size, "out of memory");
		goto out;
	}
	while (n < (size_t)st.st_size + 1 && (r = read(fd, buf + n, (size_t)st.st_size + 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, size, "%s: %s", path, strerror(errno));
			goto out;
		}
		n += (size_t)r;
	}
	/* A key written with echo ends in a newline that is no part of it. */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
			 buf[n - 1] == '\t'))
		n--;
	if (n < 16 || n > 4096) {
		snprintf(err, size, "%s: the key is %zu bytes without trailing white space, "
			 "must be 16..4096", path, n);
		goto out;
	}
	*key = buf;
	*len = n;
	buf = NULL;
	ret = 0;
out:
	if (buf) {
		sodium_memzero(buf, (size_t)st.st_size + 1);
		free(buf);
	}
	close(fd);
	return ret;
}

struct notify_rcv *notify_rcv_new(const struct conf_notify *c, char *err, size_t errsize)
{
	struct notify_rcv *r = calloc(1, sizeof(*r));
	unsigned int i;

	if (!r)
		goto oom;
	atomic_init(&r->refs, 1);
	snprintf(r->name, sizeof(r->name), "%s", c->name);
	r->type = c->type;
	memcpy(r->events, c->events, sizeof(r->events));
	r->min_tier = c->min_tier;
	r->timeout_s = c->timeout;
	r->retries = c->retries;
	r->backoff_s = c->backoff;
	r->backoff_max_s = c->backoff_max;
	r->concurrency = c->concurrency ? c->concurrency : 1;
	r->queue_max = c->queue;
	r->coalesce_s = c->coalesce;
	if (c->type == CONF_NOTIFY_WEBHOOK) {
		if (!c->url || !(r->url = strdup(c->url)))
			goto oom;
		if (c->secret_file && read_key(c->secret_file, &r->key, &r->key_len, err, errsize) < 0) {
			notify_rcv_unref(r);
			return NULL;
		}
	} else {
		if (!c->n_command || !(r->argv = calloc(c->n_command + 1, sizeof(char *))))
			goto oom;
		for (i = 0; i < c->n_command; i++)
			if (!(r->argv[i] = strdup(c->command[i])))
				goto oom;
	}
	return r;
oom:
	snprintf(err, errsize, "out of memory");
	notify_rcv_unref(r);
	return NULL;
}

struct notify_rcv *notify_rcv_ref(struct notify_rcv *r)
{
	if (r)
		atomic_fetch_add(&r->refs, 1);
	return r;
}

void notify_rcv_unref(struct notify_rcv *r)
{
	char **a;

	if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	free(r->url);
	if (r->key) {
		sodium_memzero(r->key, r->key_len);
		free(r->key);
	}
	for (a = r->argv; a && *a; a++)
		free(*a);
	free(r->argv);
	free(r);
}
