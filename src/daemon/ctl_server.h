/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket: accept minewallctl clients in the event loop, check who
 * they are, and dispatch each request line through registered command tables. */
#ifndef MW_CTL_SERVER_H
#define MW_CTL_SERVER_H

#include <sys/types.h>

#include "ctl_proto.h"
#include "evloop.h"

#define CTL_MAX_CLIENTS 32

/* A handler writes its answer into resp (text, or JSON when req->json) and
 * returns 0, or fails with `return ctl_resp_error(resp, "code", ...)`. */
typedef int (*ctl_handler)(void *arg, const struct ctl_req *req, struct ctl_resp *resp);

struct ctl_command {
	const char *name;
	ctl_handler handler;
	const char *help;	/* "name ARGS: what it does", shown by `help` */
};

struct ctl_server_cfg {
	const char *path;
	mode_t mode;
	const char *group;	/* also allowed besides root; NULL: root only */
};

struct ctl_server;

/* Create the socket (replacing a stale one) and watch it. NULL on error (logged). */
struct ctl_server *ctl_server_open(struct evloop *loop, const struct ctl_server_cfg *cfg);
/* Disconnect every client, close and unlink the socket. */
void ctl_server_close(struct ctl_server *s);
/* Add a table of commands ending with a NULL name; handlers get arg. The table
 * must outlive the server. 0, or -1 when the server holds too many tables. */
int ctl_server_register(struct ctl_server *s, const struct ctl_command *cmds, void *arg);
/* Send one line to every client following topic, in its chosen form. Never
 * blocks: a client whose unread output passes CTL_MAX_OUTPUT is dropped. */
void ctl_server_publish(struct ctl_server *s, const char *topic, const char *text, const char *json);

/* Whether a peer may use the socket: uid 0, or gid / a supplementary group is
 * allowed_gid (when allowed_gid != (gid_t)-1). groups_of(pid) is read from
 * /proc/PID/status; exposed for tests. */
int ctl_peer_allowed(uid_t uid, gid_t gid, pid_t pid, gid_t allowed_gid);

#endif
