/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Network-level detectors: TLS SNI, DNS names, Stratum V2 shapes, known endpoints. */
#ifndef MW_DET_NET_H
#define MW_DET_NET_H

#include "detect.h"

extern const struct detector det_tls_sni, det_dns, det_sv2, det_endpoint;
/* "tls-suspect": encrypted flows shaped like a miner's, for the prober (findings carry suspect). */
extern const struct detector det_tls_suspect;

#endif
