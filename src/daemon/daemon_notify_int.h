/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the daemon's notification files only: daemon_notify.c (what goes
 * to whom, life cycle) and daemon_notify_ctl.c (minewallctl notify). */
#ifndef MW_DAEMON_NOTIFY_INT_H
#define MW_DAEMON_NOTIFY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_server.h"
#include "daemon.h"
#include "log.h"
#include "notify.h"
#include "notify_doc.h"

/* The receivers of one config, in its order (a receiver's slot). */
struct notify_set {
	struct notify_rcv *rcv[CONF_MAX_RECEIVERS];
	unsigned int n;
};

struct daemon_notify {
	struct notify *eng;		/* NULL until the first receiver */
	struct notify_set *set;		/* the receivers now */
	struct notify_hosts *hosts;	/* NULL until the first receiver */
	char gateway[64];		/* this host's name, in every document */
	uint64_t id_base, seq;		/* delivery ids: id_base in hex, then seq */
	char last_id[NOTIFY_ID_MAX];	/* the id dn_submit gave last */
	bool registered;
	struct log_ratelimit rl;
};

/* daemon_notify.c: the name of an event as receivers list it. */
const char *dn_event_name(enum conf_notify_event e);
/* Build in's document for the receiver in slot (id and gateway are filled in;
 * in->id stays valid until the next call) and queue it. 0, or -1 when it was dropped (counted, logged). */
int dn_submit(struct daemon *d, unsigned int slot, struct notify_doc_in *in);

/* daemon_notify_ctl.c: the notify control command. */
extern const struct ctl_command dn_ctl_cmds[];

#endif
