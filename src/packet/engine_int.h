/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine's insides, shared by engine.c (the packet path) and
 * engine_tunnel.c (the detectors' view of a flow, through proxy tunnels). */
#ifndef MW_ENGINE_INT_H
#define MW_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "detect.h"
#include "engine.h"
#include "event.h"
#include "pkt.h"
#include "verdict.h"

struct engine {
	const struct mw_conf *conf;
	const struct pool_lists *lists;
	struct flow_table *flows;
	struct ep_table *learned;
	struct relay_track *relays;
	bool relays_owned;	/* false when borrowed from another engine (workers share one) */
	struct det_env env;
	struct verdict_policy pol;
	engine_event_cb on_event;
	void *event_arg;
	struct engine_stats st;
	bool observe;		/* offline: keep asking detectors after a block */
	bool learn_only;	/* offline look-ahead pass: only detectors that teach */
	const struct ep_table *allow;		/* destinations never blocked, or NULL */
	const struct domain_set *allow_names;	/* domains never blocked, or NULL */
	/* The lists' and the feeds' domains, or NULL: the lists' alone. */
	const struct pool_domains *pdom;
	engine_learn_cb on_learn;
	void *learn_arg;
	struct synlog *syns;	/* the SYNs the kernel forwarded without queueing, or NULL */
};

/* State for one packet while the detectors run. */
struct judge {
	struct engine *e;
	struct flow *fl;
	uint32_t mark;
	const struct timeval *ts;
	uint64_t now_ms;
	struct queue_verdict *v;
	const struct pkt *p;
	enum flow_dir dir;
	bool blocked;
	bool inbound;		/* the packet carries the INBOUND mark: opened from outside */
	bool inner;		/* the detectors see the inside of a proxy tunnel */
	bool suspect;		/* the finding is the tunnel check's own: reported even
				 * when the relay detector already was */
	bool alert_only;	/* the finding never blocks (a suspicion, not proof) */
};

/* det_done of a flow whose detectors start afresh (a new flow, a new tunnel). */
uint32_t engine_det_start(const struct engine *e);
/* Whether the flow has used up what we may inspect of it. */
bool engine_budget_spent(const struct engine *e, const struct flow *fl);
/* detect_run's match callback (arg: the struct judge). */
int engine_on_match(void *arg, unsigned int idx, const struct det_finding *f);

/* engine_tunnel.c: run the detectors on the flow's bytes, and on what the
 * proxy tunnels it opens carry (step 5 of engine_packet). */
enum detect_outcome engine_detect(struct judge *j);
/* What a finding inside a tunnel is reported as. */
struct engine_names {
	char dialect[32];
	char detail[EVENT_DETAIL_MAX];
	struct det_addr target;
};
/* A finding inside a tunnel is the relay's: name the proxy, the tunnels and
 * the detector and dialect found inside. Sets ev's detector, dialect, detail
 * and target, pointing into nm. */
void engine_tunnel_event(const struct judge *j, unsigned int idx, const struct det_finding *f,
			 struct mw_event *ev, struct engine_names *nm);

#endif
