// SPDX-License-Identifier: GPL-2.0-or-later
/* flows.mark_clean: a clean flow's packets carry the CLEAN mark, or with the key
 * off they are plain accepts and every later packet still reaches the engine. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <sys/time.h>

#include "conf.h"
#include "engine.h"
#include "pool_lists.h"
#include "ruleset.h"
#include "unit.h"

/* IPv4 UDP 10.0.0.1:40000 -> 10.0.0.2:5000, 8 bytes of harmless payload; the
 * IP checksum is not checked by the parser's consumers here. */
static const uint8_t udp_pkt[] = {
	0x45, 0x00, 0x00, 0x24, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	10, 0, 0, 1, 10, 0, 0, 2,
	0x9c, 0x40, 0x13, 0x88, 0x00, 0x10, 0x00, 0x00,
	'h', 'e', 'l', 'l', 'o', ' ', ':', ')',
};

/* Send the same packet three times; record what each verdict looked like. */
static void run(const char *text, bool want_mark)
{
	struct mw_conf *c = NULL;
	struct pool_lists *pl = NULL;
	struct engine *e = NULL;
	struct engine_stats st;
	struct timeval ts = { 1, 0 };
	int i;

	CHECK(conf_load_string(text, "/nonexistent/x.conf", &c, stderr) == 0);
	if (!c)
		return;
	pl = pool_lists_load(c, stderr);
	CHECK(pl != NULL);
	if (!pl)
		goto out;
	e = engine_new(c, pl, NULL, NULL);
	CHECK(e != NULL);
	if (!e)
		goto out;
	for (i = 0; i < 3; i++) {
		struct queue_verdict v;

		memset(&v, 0xa5, sizeof(v));
		engine_packet(e, udp_pkt, sizeof(udp_pkt), 0, 1000 + (uint64_t)i, &ts, &v);
		CHECK(v.action == QV_ACCEPT);
		CHECK(v.set_mark == want_mark);
		if (want_mark)
			CHECK(v.mark == ruleset_mark(c->mark_mask, MW_MARK_CLEAN));
	}
	engine_get_stats(e, &st);
	CHECK(st.packets == 3);
	/* Judged once: the flow stays clean, only its verdicts differ. */
	CHECK(st.flows_clean == 1);
out:
	engine_free(e);
	pool_lists_free(pl);
	conf_free(c);
}

#define LISTS "detect = { blocklists = { domains = [ ]; endpoints = [ ]; ports = [ ]; }; };\n"

int main(void)
{
	run(LISTS "flows = { inspect_packets = 1; };", true);
	run(LISTS "flows = { inspect_packets = 1; mark_clean = true; };", true);
	run(LISTS "flows = { inspect_packets = 1; mark_clean = false; };", false);
	return UNIT_DONE();
}
