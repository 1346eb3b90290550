// SPDX-License-Identifier: GPL-2.0-or-later
/* What no feed may block: the gateway's own addresses, its resolvers and the allowlist. */
#include "config.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "feed_file.h"
#include "feed_sub.h"

struct plist {
	struct ep_entry *v;
	size_t n, cap;
};

static int plist_add(struct plist *l, const struct ep_entry *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct ep_entry *p = realloc(l->v, cap * sizeof(*p));

		if (!p)
			return -1;
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	return 0;
}

/* "nameserver ADDR" lines; anything else, or an address that does not parse, is skipped. */
static int resolvers(const char *path, struct plist *l)
{
	uint8_t *buf;
	size_t len;
	char *p, *line, *save = NULL;
	int ret = 0;

	if (feed_file_read(NULL, path, 1u << 20, &buf, &len) < 0)
		return errno == ENOENT ? 0 : -1;
	for (line = strtok_r((char *)buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct ep_entry e;
		char err[64], *end;

		p = line + strspn(line, " \t");
		if (strncmp(p, "nameserver", 10) != 0 || (p[10] != ' ' && p[10] != '\t'))
			continue;
		p += 10 + strspn(p + 10, " \t");
		end = p + strcspn(p, " \t\r#%");	/* %zone of a link-local resolver */
		*end = '\0';
		if (ep_parse(p, &e, err, sizeof(err)) == 0 && e.port == 0 &&
		    plist_add(l, &e) < 0) {
			ret = -1;
			break;
		}
	}
	free(buf);
	return ret;
}

int feed_protect_gather(const char *resolv_conf, const struct ep_entry *allow, size_t nallow,
			struct ep_entry **out, size_t *n)
{
	struct plist l = { 0 };
	struct ifaddrs *ifa = NULL, *i;
	size_t k;

	*out = NULL;
	*n = 0;
	if (getifaddrs(&ifa) < 0)
		return -1;
	for (i = ifa; i; i = i->ifa_next) {
		struct ep_entry e = { 0 };

		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			e.family = AF_INET;
			e.plen = 32;
			memcpy(e.addr, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			e.family = AF_INET6;
			e.plen = 128;
			memcpy(e.addr, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		if (plist_add(&l, &e) < 0)
			goto err;
	}
	freeifaddrs(ifa);
	ifa = NULL;
	if (resolvers(resolv_conf ? resolv_conf : "/etc/resolv.conf", &l) < 0)
		goto err;
	for (k = 0; k < nallow; k++)
		if (plist_add(&l, &allow[k]) < 0)
			goto err;
	*out = l.v;
	*n = l.n;
	return 0;
err:
	if (ifa)
		freeifaddrs(ifa);
	free(l.v);
	return -1;
}
