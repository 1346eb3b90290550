// SPDX-License-Identifier: GPL-2.0-or-later
/* Test driver for ruleset.c: probe, install and remove from a shell script. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "log.h"
#include "nlbatch.h"
#include "ruleset.h"

#define MAX_IFACES 8

static void usage(void)
{
	fprintf(stderr,
		"usage: nft_ruleset_tool probe\n"
		"       nft_ruleset_tool install [-m native|compat] [-q num] [-c count]\n"
		"                               [-B] [-O] [-F] [-M mask] [-L group] [-i ifname]...\n"
		"       nft_ruleset_tool remove\n"
		"       nft_ruleset_tool bulk N   (N chains in a throwaway table, one batch)\n"
		"  -B no bypass (fail closed), -O no output hook, -F forward hook,\n"
		"  -L log SYNs to NFLOG group instead of queueing them\n");
	exit(2);
}

static unsigned long num_arg(const char *s, unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (*s == '\0' || *end != '\0' || v > max)
		usage();
	return v;
}

static int do_install(int argc, char **argv)
{
	const char *ifaces[MAX_IFACES];
	struct ruleset_cfg cfg = {
		.queue_num = 0, .queue_count = 1, .bypass = true,
		.hook_output = true, .hook_forward = false,
		.interfaces = ifaces, .n_interfaces = 0,
		.mark_mask = 0x0f000000,
	};
	enum queue_mech mech;
	int have_mech = 0, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-B") == 0) {
			cfg.bypass = false;
		} else if (strcmp(a, "-O") == 0) {
			cfg.hook_output = false;
		} else if (strcmp(a, "-F") == 0) {
			cfg.hook_forward = true;
		} else if (v == NULL) {
			usage();
		} else if (strcmp(a, "-m") == 0) {
			if (strcmp(v, "native") == 0)
				mech = QMECH_NATIVE;
			else if (strcmp(v, "compat") == 0)
				mech = QMECH_COMPAT;
			else
				usage();
			have_mech = 1;
			i++;
		} else if (strcmp(a, "-q") == 0) {
			cfg.queue_num = (uint16_t)num_arg(v, 65535);
			i++;
		} else if (strcmp(a, "-c") == 0) {
			cfg.queue_count = (uint16_t)num_arg(v, 65535);
			i++;
		} else if (strcmp(a, "-M") == 0) {
			cfg.mark_mask = (uint32_t)num_arg(v, 0xffffffffUL);
			i++;
		} else if (strcmp(a, "-L") == 0) {
			cfg.syn_log = true;
			cfg.syn_group = (uint16_t)num_arg(v, 65535);
			i++;
		} else if (strcmp(a, "-i") == 0) {
			if (cfg.n_interfaces == MAX_IFACES)
				usage();
			ifaces[cfg.n_interfaces++] = v;
			i++;
		} else {
			usage();
		}
	}
	if (!have_mech && ruleset_probe(&mech) < 0)
		return 1;
	return ruleset_install(&cfg, mech) < 0 ? 1 : 0;
}

/* A batch far larger than one chunk, every message acknowledged: exercises
 * the multi-chunk sendmsg and the socket buffer sizing. Net effect nothing. */
static int do_bulk(unsigned long n)
{
	struct nlbatch *b = nlbatch_new(0, 1);
	struct mnl_socket *nl = NULL;
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	char name[32];
	unsigned long i;
	int ret = 1;

	if (b == NULL || t == NULL || c == NULL)
		goto out;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, "minewall_bulk");
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, "minewall_bulk");
	nlh = nlbatch_put(b, NFT_MSG_NEWTABLE, NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK);
	nftnl_table_nlmsg_build_payload(nlh, t);
	if (nlbatch_next(b, "add table") < 0)
		goto out;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "chain%lu", i);
		nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
		nlh = nlbatch_put(b, NFT_MSG_NEWCHAIN, NFPROTO_INET,
				  NLM_F_CREATE | NLM_F_ACK);
		nftnl_chain_nlmsg_build_payload(nlh, c);
		if (nlbatch_next(b, name) < 0)
			goto out;
	}
	nlh = nlbatch_put(b, NFT_MSG_DELTABLE, NFPROTO_INET, NLM_F_ACK);
	nftnl_table_nlmsg_build_payload(nlh, t);
	if (nlbatch_next(b, "delete table") < 0)
		goto out;
	nl = nlbatch_open();
	if (nl == NULL) {
		log_warn("netlink socket");
		goto out;
	}
	if (nlbatch_commit(b, nl) < 0) {
		log_warnx("bulk: %s", nlbatch_error(b));
		goto out;
	}
	printf("%zu messages, %zu bytes, %zu chunks\n", nlbatch_count(b),
	       nlbatch_size(b), nlbatch_chunks(b));
	ret = 0;
out:
	nlbatch_close(nl);
	nftnl_chain_free(c);
	nftnl_table_free(t);
	nlbatch_free(b);
	return ret;
}

int main(int argc, char **argv)
{
	enum queue_mech mech;

	log_init("nft_ruleset_tool", 1, LOG_LVL_INFO);
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "probe") == 0) {
		if (ruleset_probe(&mech) < 0)
			return 1;
		printf("%s\n", ruleset_mech_name(mech));
		return 0;
	}
	if (strcmp(argv[1], "install") == 0)
		return do_install(argc - 1, argv + 1);
	if (strcmp(argv[1], "bulk") == 0 && argc == 3)
		return do_bulk(num_arg(argv[2], 1000000));
	if (strcmp(argv[1], "remove") == 0)
		return ruleset_remove() < 0 ? 1 : 0;
	usage();
	return 2;
}
