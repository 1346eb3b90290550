// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's blocks, host tiers and minewallctl allowlist entries to and from the state file. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon_enforce_int.h"
#include "escalate.h"
#include "log.h"
#include "state_file.h"

struct save_arg {
	struct state *st;
	int dyn;
	enum enforce_allow which;
	uint64_t now;
};

static int save_block_cb(const struct ep_entry *e, void *arg)
{
	struct save_arg *a = arg;
	struct state_item it = { .kind = STATE_BLOCK, .source = daemon_enforce_dyn_source[a->dyn],
				 .ep = *e };

	if (e->expires_ms && e->expires_ms <= a->now)
		return 0;
	snprintf(it.reason, sizeof(it.reason), "%s", enforce_source_name(it.source));
	return state_add(a->st, &it) < 0 ? -1 : 0;
}

static int save_allow_cb(const struct ep_entry *e, void *arg)
{
	struct save_arg *a = arg;
	struct state_item it = { .kind = STATE_ALLOW, .which = a->which, .ep = *e };

	snprintf(it.reason, sizeof(it.reason), "minewallctl");
	return state_add(a->st, &it) < 0 ? -1 : 0;
}

static int save_tier_cb(const struct escalate_host *h, void *arg)
{
	struct save_arg *a = arg;
	struct state_item it = { .kind = STATE_TIER, .host = *h };

	if (h->tier == ENF_WATCH)
		return 0;
	return state_add(a->st, &it) < 0 ? -1 : 0;
}

void daemon_state_save(struct daemon *d)
{
	struct daemon_enforce *de = d->enf;
	struct state st;
	struct save_arg a = { .st = &st, .now = now_wall_ms() };
	char err[256];

	if (!d->conf->state_file)
		return;
	state_init(&st);
	for (a.dyn = 0; a.dyn < DYN_N; a.dyn++)
		ep_table_foreach(de->dyn[a.dyn], save_block_cb, &a);
	a.which = ENF_ALLOW;
	ep_table_foreach(de->allow_dyn, save_allow_cb, &a);
	escalate_foreach(de->esc, save_tier_cb, &a);
	if (state_write(d->conf->state_file, &st, err, sizeof(err)) < 0)
		log_warnx_rl(&de->rl, "state not saved (the previous state file is kept): %s", err);
	else
		de->dirty = false;
	de->last_save_ms = a.now;
	state_fini(&st);
}

/* Make the state file's directory (and its parents), as systemd's
 * StateDirectory would: a fresh install has none. */
static void state_dir_make(const char *path)
{
	char dir[4096];
	char *p;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return;
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return;
		*p = '/';
	}
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		log_warn("state directory %s", dir);
}

/* Put back what the last run left, with the time it has left. */
void daemon_state_restore(struct daemon *d)
{
	struct daemon_enforce *de = d->enf;
	uint64_t now = now_wall_ms();
	struct state st;
	char err[256];
	size_t i, blocks = 0, tiers = 0, allows = 0;
	int rc;

	if (!d->conf->state_file)
		return;
	state_dir_make(d->conf->state_file);
	state_init(&st);
	rc = state_read(d->conf->state_file, &st, now, err, sizeof(err));
	if (rc < 0)
		log_warnx("state file %s not read: %s", d->conf->state_file, err);
	else if (rc == 1)
		log_warnx("state file set aside, starting without it: %s", err);
	if (enforce_begin(de->enf) < 0) {
		state_fini(&st);
		return;
	}
	for (i = 0; i < st.n; i++) {
		const struct state_item *it = &st.items[i];
		uint32_t left;

		switch (it->kind) {
		case STATE_BLOCK:
			if (it->source != ENF_DETECT && it->source != ENF_DNS)
				break;
			left = it->ep.expires_ms ? (uint32_t)((it->ep.expires_ms - now + 999) / 1000u) : 0;
			daemon_enforce_block(de, it->source == ENF_DETECT ? DYN_DETECT : DYN_DNS, &it->ep,
					     left);
			blocks++;
			break;
		case STATE_ALLOW:
			if (it->which == ENF_ALLOW) {
				ep_table_add(de->allow_dyn, &it->ep);
				allows++;
			}
			break;
		case STATE_TIER:
			if (escalate_restore(de->esc, &it->host, now) == 0 && it->host.tier != ENF_WATCH) {
				left = it->host.tier_until_ms ?
					(uint32_t)((it->host.tier_until_ms - now + 999) / 1000u) : 0;
				enforce_host_tier(de->enf, it->host.family, it->host.addr, it->host.tier, left);
				tiers++;
			}
			break;
		}
	}
	daemon_enforce_allow_refresh(d, NULL);
	if (enforce_commit(de->enf) < 0) {
		log_warnx("saved state not applied: %s", enforce_error(de->enf));
		enforce_abort(de->enf);
	} else if (st.n) {
		log_info("restored %zu blocks, %zu host tiers, %zu allowlist entries from %s", blocks,
			 tiers, allows, d->conf->state_file);
	}
	state_fini(&st);
}
