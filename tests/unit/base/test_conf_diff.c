// SPDX-License-Identifier: GPL-2.0-or-later
/* conf_diff and conf_keep_restart_only: what a reload reports and keeps. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "unit.h"

static char out[4096];

static void on_changed(const char *name, const char *was, const char *now, bool restart_only,
		       void *arg)
{
	size_t len = strlen(out);

	snprintf(out + len, sizeof(out) - len, "%s%s: %s -> %s\n", restart_only ? "restart " : "",
		 name, was, now);
}

static struct mw_conf *load(const char *text)
{
	struct mw_conf *c = NULL;

	if (conf_load_string(text, "/etc/minewall/x.conf", &c, stderr) < 0)
		return NULL;
	return c;
}

static const char *diff(const struct mw_conf *a, const struct mw_conf *b, unsigned int *n)
{
	out[0] = '\0';
	*n = conf_diff(a, b, on_changed, NULL);
	return out;
}

int main(void)
{
	struct mw_conf *a = load(""), *b, *c;
	unsigned int n;

	CHECK(a != NULL);
	if (!a)
		return UNIT_DONE();
	CHECK_STR(diff(a, a, &n), "");
	CHECK(n == 0);

	b = load("queue = { count = 2; };\n"
		 "protect = { hooks = [ \"forward\" ]; mark_mask = 0xf0; };\n"
		 "flows = { max = 4096; buffers = 1024; };\n"
		 "detect = { actions = { dns = \"drop\"; }; };\n"
		 "log = { target = \"syslog\"; events = \"/tmp/e.json\"; };\n"
		 "control = { mode = 0600; };\n"
		 "enforce = { allow = [ \"192.0.2.1\", \"example.org\" ]; max_hosts = 128; };\n"
		 "feeds = ( { name = \"a\"; url = \"file:///f\"; pubkeys = [ \"RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\" ]; } );\n");
	CHECK(b != NULL);
	if (!b)
		return UNIT_DONE();
	CHECK_STR(diff(a, b, &n),
		  "queue.count: 1 -> 2\n"
		  "protect.hooks: [ \"output\", \"forward\" ] -> [ \"forward\" ]\n"
		  "protect.mark_mask: 0x0f000000 -> 0x000000f0\n"
		  "restart flows.max: 262144 -> 4096\n"
		  "restart flows.buffers: 16384 -> 1024\n"
		  "detect.actions.dns: \"alert\" -> \"drop\"\n"
		  "restart log.target: \"stderr\" -> \"syslog\"\n"
		  "log.events: unset -> \"/tmp/e.json\"\n"
		  "restart control.mode: 0660 -> 0600\n"
		  "feeds[a]: none -> subscribed\n"
		  "enforce.allow: [] -> [ \"192.0.2.1\", \"example.org\" ]\n"
		  "restart enforce.max_hosts: 65536 -> 128\n");
	CHECK(n == 12);
	CHECK_STR(diff(b, a, &n), "queue.count: 2 -> 1\n"
		  "protect.hooks: [ \"forward\" ] -> [ \"output\", \"forward\" ]\n"
		  "protect.mark_mask: 0x000000f0 -> 0x0f000000\n"
		  "restart flows.max: 4096 -> 262144\n"
		  "restart flows.buffers: 1024 -> 16384\n"
		  "detect.actions.dns: \"drop\" -> \"alert\"\n"
		  "restart log.target: \"syslog\" -> \"stderr\"\n"
		  "log.events: \"/tmp/e.json\" -> unset\n"
		  "restart control.mode: 0600 -> 0660\n"
		  "feeds[a]: subscribed -> removed\n"
		  "enforce.allow: [ \"192.0.2.1\", \"example.org\" ] -> []\n"
		  "restart enforce.max_hosts: 128 -> 65536\n");

	/* The running values of what only a restart applies stay in force. */
	CHECK(conf_keep_restart_only(b, a) == 0);
	CHECK(b->max_flows == 262144 && b->max_buffers == 16384 && !b->log_syslog &&
	      b->ctl_mode == 0660 && b->max_hosts == 65536);
	CHECK(b->queue_count == 2 && b->n_allow == 2);
	CHECK_STR(diff(a, b, &n),
		  "queue.count: 1 -> 2\n"
		  "protect.hooks: [ \"output\", \"forward\" ] -> [ \"forward\" ]\n"
		  "protect.mark_mask: 0x0f000000 -> 0x000000f0\n"
		  "detect.actions.dns: \"alert\" -> \"drop\"\n"
		  "log.events: unset -> \"/tmp/e.json\"\n"
		  "feeds[a]: none -> subscribed\n"
		  "enforce.allow: [] -> [ \"192.0.2.1\", \"example.org\" ]\n");

	/* A feed's own settings, by name. */
	c = load("feeds = ( { name = \"a\"; url = \"file:///g\"; interval = 600; pubkeys = [ \"RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\" ]; } );\n");
	CHECK(c != NULL);
	if (c) {
		CHECK_STR(diff(b, c, &n), "queue.count: 2 -> 1\n"
			  "protect.hooks: [ \"forward\" ] -> [ \"output\", \"forward\" ]\n"
			  "protect.mark_mask: 0x000000f0 -> 0x0f000000\n"
			  "detect.actions.dns: \"drop\" -> \"alert\"\n"
			  "log.events: \"/tmp/e.json\" -> unset\n"
			  "feeds[a].url: \"file:///f\" -> \"file:///g\"\n"
			  "feeds[a].interval: 300 -> 600\n"
			  "enforce.allow: [ \"192.0.2.1\", \"example.org\" ] -> []\n");
	}
	conf_free(a);
	conf_free(b);
	conf_free(c);
	return UNIT_DONE();
}
