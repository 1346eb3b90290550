// SPDX-License-Identifier: GPL-2.0-or-later
/* Test driver for enforce.c: install the ruleset with a policy, change set
 * elements, list them, sync, and time bulk loads, from shell scripts. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "enforce.h"
#include "ep_table.h"
#include "log.h"
#include "ruleset.h"
#include "tool_num.h"

#define MAX_IFACES	8

static void usage(void)
{
	fprintf(stderr,
		"usage: enforce_tool install [-F] [-B] [-i ifname]... [-r source]... [-T bytes/s]\n"
		"                            [-b burst] [-C conns/s] [-P pool conns/s] [-Q queue pps]\n"
		"                            [-f feed]...\n"
		"       enforce_tool add SOURCE[:FEED] ENTRY [TIMEOUT_S]\n"
		"       enforce_tool del SOURCE[:FEED] ENTRY\n"
		"       enforce_tool allow|qallow add|del ENTRY\n"
		"       enforce_tool tier ADDR watch|throttle|quarantine [TIMEOUT_S]\n"
		"       enforce_tool port add|del PORT\n"
		"       enforce_tool list SOURCE[:FEED]      (ENTRY MS_LEFT per line)\n"
		"       enforce_tool count SOURCE[:FEED]\n"
		"       enforce_tool sync SOURCE[:FEED] FILE (one ENTRY per line)\n"
		"       enforce_tool load N SOURCE [NFT_FILE] (N generated entries, one batch;\n"
		"                            NFT_FILE: the same entries for nft -f, table inet mwbench)\n");
	exit(2);
}

/* The tool's own small parser (ep_parse lives in another module). */
static int entry_parse(const char *s, struct ep_entry *ep)
{
	char buf[128], *p, *slash, *colon = NULL;
	unsigned long v;

	memset(ep, 0, sizeof(*ep));
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	p = buf;
	if (*p == '[') {
		char *close = strchr(p, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		*close = '\0';
		colon = close + 1;
		p++;
	} else if (strchr(p, '.') != NULL) {
		colon = strchr(p, ':');
	}
	if (colon != NULL) {
		*colon = '\0';
		v = strtoul(colon + 1, NULL, 10);
		if (v == 0 || v > 65535)
			return -1;
		ep->port = (uint16_t)v;
	}
	slash = strchr(p, '/');
	if (slash != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, p, ep->addr) == 1) {
		ep->family = AF_INET;
		ep->plen = 32;
	} else if (inet_pton(AF_INET6, p, ep->addr) == 1) {
		ep->family = AF_INET6;
		ep->plen = 128;
	} else {
		return -1;
	}
	if (slash != NULL) {
		v = strtoul(slash + 1, NULL, 10);
		if (v > ep->plen)
			return -1;
		ep->plen = (uint8_t)v;
	}
	return 0;
}

static void entry_print(FILE *f, const struct ep_entry *ep)
{
	char a[INET6_ADDRSTRLEN];
	unsigned int bits = ep->family == AF_INET ? 32 : 128;

	inet_ntop(ep->family, ep->addr, a, sizeof(a));
	if (ep->port != 0)
		fprintf(f, ep->family == AF_INET ? "%s:%u" : "[%s]:%u", a, ep->port);
	else if (ep->plen != bits)
		fprintf(f, "%s/%u", a, ep->plen);
	else
		fprintf(f, "%s", a);
}

/* "list" or "feed:name". */
static void source_arg(const char *s, enum enforce_source *src, const char **feed)
{
	static char name[64];
	const char *c = strchr(s, ':');
	int r;

	*feed = NULL;
	if (c != NULL) {
		snprintf(name, sizeof(name), "%.*s", (int)(c - s), s);
		r = enforce_source_parse(name);
		*feed = c + 1;
	} else {
		r = enforce_source_parse(s);
	}
	if (r < 0)
		usage();
	*src = (enum enforce_source)r;
}

static int do_install(int argc, char **argv)
{
	static const char *ifaces[MAX_IFACES], *feeds[ENF_MAX_FEEDS];
	static struct enforce_policy pol;
	struct ruleset_cfg cfg = {
		.queue_num = 0, .queue_count = 1, .bypass = true,
		.hook_output = true, .interfaces = ifaces, .mark_mask = 0x0f000000,
		.policy = &pol,
	};
	enum queue_mech mech;
	int i, r;

	pol.feeds = feeds;
	pol.count_refused = true;	/* as minewalld by default */
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-F") == 0) {
			cfg.hook_forward = true;
			continue;
		}
		if (strcmp(a, "-B") == 0) {
			cfg.bypass = false;
			continue;
		}
		if (v == NULL)
			usage();
		i++;
		if (strcmp(a, "-i") == 0 && cfg.n_interfaces < MAX_IFACES) {
			ifaces[cfg.n_interfaces++] = v;
		} else if (strcmp(a, "-f") == 0 && pol.n_feeds < ENF_MAX_FEEDS) {
			feeds[pol.n_feeds++] = v;
		} else if (strcmp(a, "-r") == 0) {
			r = enforce_source_parse(v);
			if (r < 0)
				usage();
			pol.verdict[r] = ENF_REJECT;
		} else if (strcmp(a, "-T") == 0) {
			pol.throttle_bytes = (uint32_t)tool_num(v, 0, UINT32_MAX, usage);
		} else if (strcmp(a, "-b") == 0) {
			pol.throttle_burst = (uint32_t)tool_num(v, 0, UINT32_MAX, usage);
		} else if (strcmp(a, "-C") == 0) {
			pol.throttle_conns = (uint32_t)tool_num(v, 0, UINT32_MAX, usage);
		} else if (strcmp(a, "-P") == 0) {
			pol.pool_conns = (uint32_t)tool_num(v, 0, UINT32_MAX, usage);
		} else if (strcmp(a, "-Q") == 0) {
			pol.queue_pps = (uint32_t)tool_num(v, 0, UINT32_MAX, usage);
		} else {
			usage();
		}
	}
	if (ruleset_probe(&mech) < 0)
		return 1;
	return ruleset_install(&cfg, mech) < 0 ? 1 : 0;
}

static int commit(struct enforcer *e)
{
	if (enforce_commit(e) < 0) {
		log_warnx("enforce: %s", enforce_error(e));
		return 1;
	}
	return 0;
}

static int print_cb(const struct ep_entry *ep, void *arg)
{
	entry_print(stdout, ep);
	printf(" %llu\n", (unsigned long long)ep->expires_ms);
	return 0;
}

static int count_cb(const struct ep_entry *ep, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

/* Entry i of a deterministic mix: v4 and v6 addresses, v4 /24s, v6 /48s,
 * none overlapping. */
static void gen_entry(unsigned long i, struct ep_entry *ep)
{
	unsigned long k = i / 4;

	memset(ep, 0, sizeof(*ep));
	switch (i % 4) {
	case 0:
		ep->family = AF_INET;
		ep->plen = 32;
		ep->addr[0] = 10;
		ep->addr[1] = (uint8_t)(k >> 16);
		ep->addr[2] = (uint8_t)(k >> 8);
		ep->addr[3] = (uint8_t)k;
		break;
	case 1:
		ep->family = AF_INET6;
		ep->plen = 128;
		ep->addr[0] = 0x20; ep->addr[1] = 0x01; ep->addr[2] = 0x0d; ep->addr[3] = 0xb8;
		ep->addr[13] = (uint8_t)(k >> 16);
		ep->addr[14] = (uint8_t)(k >> 8);
		ep->addr[15] = (uint8_t)k;
		break;
	case 2:
		ep->family = AF_INET;
		ep->plen = 24;
		ep->addr[0] = (uint8_t)(11 + (k >> 16));
		ep->addr[1] = (uint8_t)(k >> 8);
		ep->addr[2] = (uint8_t)k;
		break;
	default:
		ep->family = AF_INET6;
		ep->plen = 48;
		ep->addr[0] = 0x20; ep->addr[1] = 0x01; ep->addr[2] = 0x0d;
		ep->addr[3] = (uint8_t)(0xb9 + (k >> 16));
		ep->addr[4] = (uint8_t)(k >> 8);
		ep->addr[5] = (uint8_t)k;
		break;
	}
}

/* The same entries as an nft script: identical sets in table inet mwbench. */
static int write_nft(const char *path, unsigned long n, const char *src)
{
	static const char *const kinds[] = { "addr4", "addr6", "cidr4", "cidr6" };
	FILE *f = fopen(path, "w");
	struct ep_entry ep;
	unsigned long i;
	int k;

	if (f == NULL)
		return -1;
	fprintf(f, "table inet mwbench {\n"
		"set %s_addr4 { type ipv4_addr; flags timeout; }\n"
		"set %s_addr6 { type ipv6_addr; flags timeout; }\n"
		"set %s_cidr4 { type ipv4_addr; flags interval,timeout; }\n"
		"set %s_cidr6 { type ipv6_addr; flags interval,timeout; }\n}\n",
		src, src, src, src);
	for (k = 0; k < 4; k++) {
		unsigned long in_line = 0;

		for (i = (unsigned long)k; i < n; i += 4) {
			if (in_line == 0)
				fprintf(f, "add element inet mwbench %s_%s { ", src, kinds[k]);
			gen_entry(i, &ep);
			entry_print(f, &ep);
			if (++in_line == 1000 || i + 4 >= n) {
				fputs(" }\n", f);
				in_line = 0;
			} else {
				fputs(", ", f);
			}
		}
	}
	return fclose(f);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int do_load(struct enforcer *e, unsigned long n, enum enforce_source src,
		   const char *feed, const char *nft_file)
{
	struct ep_entry ep;
	unsigned long i;
	double t0;

	if (nft_file != NULL && write_nft(nft_file, n, enforce_source_name(src)) < 0) {
		log_warn("%s", nft_file);
		return 1;
	}
	t0 = now_s();
	if (enforce_begin(e) < 0)
		return 1;
	for (i = 0; i < n; i++) {
		gen_entry(i, &ep);
		if (enforce_block_add(e, src, feed, &ep, 0) < 0) {
			log_warn("entry %lu", i);
			return 1;
		}
	}
	if (commit(e) != 0)
		return 1;
	printf("enforce: %lu entries in %.3f s\n", n, now_s() - t0);
	return 0;
}

static int do_sync(struct enforcer *e, enum enforce_source src, const char *feed,
		   const char *path)
{
	FILE *f = fopen(path, "r");
	struct ep_entry *v = NULL;
	size_t n = 0, alloc = 0;
	char line[256];
	int ret = 1;

	if (f == NULL) {
		log_warn("%s", path);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (n == alloc) {
			struct ep_entry *nv;

			alloc = alloc ? alloc * 2 : 64;
			nv = realloc(v, alloc * sizeof(*v));
			if (nv == NULL)
				goto out;
			v = nv;
		}
		if (entry_parse(line, &v[n]) < 0) {
			log_warnx("%s: bad entry \"%s\"", path, line);
			goto out;
		}
		n++;
	}
	if (enforce_begin(e) < 0 || enforce_sync_source(e, src, feed, v, n) < 0) {
		log_warn("sync");
		goto out;
	}
	printf("sync: %zu change(s)\n", enforce_pending(e));
	ret = commit(e);
out:
	fclose(f);
	free(v);
	return ret;
}

static int run(struct enforcer *e, int argc, char **argv)
{
	enum enforce_source src;
	const char *feed;
	struct ep_entry ep;
	const char *cmd = argv[1];
	size_t count = 0;

	if (strcmp(cmd, "add") == 0 || strcmp(cmd, "del") == 0) {
		if (argc < 4 || entry_parse(argv[3], &ep) < 0)
			usage();
		source_arg(argv[2], &src, &feed);
		if (enforce_begin(e) < 0)
			return 1;
		if ((cmd[0] == 'a'
		     ? enforce_block_add(e, src, feed, &ep,
					 argc > 4 ? (uint32_t)tool_num(argv[4], 0, UINT32_MAX, usage) : 0)
		     : enforce_block_del(e, src, feed, &ep)) < 0) {
			log_warn("%s %s", cmd, argv[3]);
			return 1;
		}
		return commit(e);
	}
	if (strcmp(cmd, "allow") == 0 || strcmp(cmd, "qallow") == 0) {
		enum enforce_allow which = cmd[0] == 'q' ? ENF_QALLOW : ENF_ALLOW;

		if (argc != 4 || entry_parse(argv[3], &ep) < 0 || enforce_begin(e) < 0)
			usage();
		if ((strcmp(argv[2], "add") == 0 ? enforce_allow_add(e, which, &ep)
						 : enforce_allow_del(e, which, &ep)) < 0)
			return 1;
		return commit(e);
	}
	if (strcmp(cmd, "tier") == 0) {
		static const char *const tiers[] = { "watch", "throttle", "quarantine" };
		int t;

		if (argc < 4 || entry_parse(argv[2], &ep) < 0)
			usage();
		for (t = 0; t < 3 && strcmp(argv[3], tiers[t]) != 0; t++)
			;
		if (t == 3 || enforce_begin(e) < 0)
			usage();
		if (enforce_host_tier(e, ep.family, ep.addr, (enum enforce_tier)t,
				      argc > 4 ? (uint32_t)tool_num(argv[4], 0, UINT32_MAX, usage) : 0) < 0)
			return 1;
		return commit(e);
	}
	if (strcmp(cmd, "port") == 0 && argc == 4) {
		if (enforce_begin(e) < 0 ||
		    enforce_pool_port(e, (uint16_t)tool_num(argv[3], 0, 65535, usage),
				      strcmp(argv[2], "add") == 0) < 0)
			return 1;
		return commit(e);
	}
	if ((strcmp(cmd, "list") == 0 || strcmp(cmd, "count") == 0) && argc == 3) {
		source_arg(argv[2], &src, &feed);
		if (enforce_list(e, src, feed, cmd[0] == 'l' ? print_cb : count_cb,
				 &count) != 0) {
			log_warn("list");
			return 1;
		}
		if (cmd[0] == 'c')
			printf("%zu\n", count);
		return 0;
	}
	if (strcmp(cmd, "sync") == 0 && argc == 4) {
		source_arg(argv[2], &src, &feed);
		return do_sync(e, src, feed, argv[3]);
	}
	if (strcmp(cmd, "load") == 0 && (argc == 4 || argc == 5)) {
		source_arg(argv[3], &src, &feed);
		return do_load(e, tool_num(argv[2], 0, 4000000, usage), src, feed,
			       argc == 5 ? argv[4] : NULL);
	}
	usage();
	return 2;
}

int main(int argc, char **argv)
{
	struct enforcer *e;
	int ret;

	log_init("enforce_tool", 1, LOG_LVL_INFO);
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "install") == 0)
		return do_install(argc - 1, argv + 1);
	e = enforcer_new();
	if (e == NULL) {
		log_warn("enforcer");
		return 1;
	}
	ret = run(e, argc, argv);
	enforcer_free(e);
	return ret;
}
