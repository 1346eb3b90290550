// SPDX-License-Identifier: GPL-2.0-or-later
/* The detector registry and the loop that asks each detector about a flow. */
#include "config.h"

#include <string.h>
#include <netinet/in.h>

#include "det_app.h"
#include "det_net.h"
#include "detect.h"

/* Cheapest and most decisive first: the endpoint verdict needs no payload. */
const struct detector *const detectors[] = {
	&det_endpoint,
	&det_dns,
	&det_tls_sni,
	&det_stratum,
	&det_getwork,
	&det_sv2,
	&det_proxy,
	&det_websocket,
	&det_tls_suspect,
};
const unsigned int n_detectors = sizeof(detectors) / sizeof(detectors[0]);

_Static_assert(sizeof(detectors) / sizeof(detectors[0]) < 32, "flow det_done is a 32-bit mask");

int detect_init(void)
{
	unsigned int i;

	for (i = 0; i < n_detectors; i++)
		if (detectors[i]->init && detectors[i]->init() < 0)
			return -1;
	return 0;
}

void detect_fini(void)
{
	unsigned int i;

	for (i = 0; i < n_detectors; i++)
		if (detectors[i]->fini)
			detectors[i]->fini();
}

int detect_index(const char *name)
{
	unsigned int i;

	for (i = 0; i < n_detectors; i++)
		if (strcmp(detectors[i]->name, name) == 0)
			return (int)i;
	return -1;
}

enum detect_outcome detect_run(const struct det_env *env, struct flow *fl,
			       const struct det_stream *s, detect_match_cb on_match, void *arg)
{
	unsigned int proto = fl->key.proto == IPPROTO_TCP ? DET_P_TCP : DET_P_UDP;
	unsigned int i;

	for (i = 0; i < n_detectors; i++) {
		const struct detector *d = detectors[i];
		struct det_finding f;
		uint32_t bit = 1u << i;

		if (fl->det_done & bit)
			continue;
		if (!(d->protos & proto)) {
			fl->det_done |= bit;
			continue;
		}
		memset(&f, 0, sizeof(f));
		switch (d->inspect(env, s, &f)) {
		case DET_NO:
			fl->det_done |= bit;
			break;
		case DET_MORE:
			break;
		case DET_MATCH:
			if (on_match(arg, i, &f))
				return DETECT_STOPPED;
			break;
		}
	}
	return fl->det_done == (1u << n_detectors) - 1 ? DETECT_CLEAN : DETECT_PENDING;
}
