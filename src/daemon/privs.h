/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Capabilities: drop all but what the running daemon needs once start-up is done. */
#ifndef MW_PRIVS_H
#define MW_PRIVS_H

#include <stddef.h>
#include <stdint.h>

/* A capability set as a mask: bit n is capability n (linux/capability.h). */
#define PRIVS_BIT(cap) (UINT64_C(1) << (cap))

/* The five sets of a thread, as /proc/PID/status shows them. */
struct privs_sets {
	uint64_t inh, prm, eff, bnd, amb;
};

/* What minewalld keeps after start-up: CAP_NET_ADMIN, for netlink to NFQUEUE and
 * nf_tables (verdicts, rule and set changes on reload, removal at exit). */
uint64_t privs_daemon_keep(void);

/* Parses the Cap* lines of a /proc/PID/status text of len bytes (need not end in NUL).
 * 0, or -1 when any of the five lines is missing or malformed. */
int privs_parse_status(const char *text, size_t len, struct privs_sets *s);

/* Writes the lowercase names of the capabilities in caps, comma-separated ("cap_chown,
 * cap_net_admin"), "none" for an empty mask, "cap_N" for one without a name here.
 * 0, or -1 when it does not fit in len bytes (buf then holds "" when len > 0). */
int privs_names(uint64_t caps, char *buf, size_t len);

/* Reads this process's sets from /proc/self/status. 0 or -1 with errno. */
int privs_read(struct privs_sets *s);

/* Sets no_new_privs, empties the ambient and inheritable sets, drops every capability
 * not in keep from the bounding set (skipped when CAP_SETPCAP is missing: no_new_privs
 * keeps an exec from using what is left) and lowers permitted and effective to
 * keep & permitted. 0, or -1 with errno and *step naming what failed. */
int privs_drop(uint64_t keep, const char **step);

#endif
