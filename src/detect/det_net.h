/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Network-level detectors: TLS SNI, DNS names, Stratum V2 shapes, known endpoints. */
#ifndef MW_DET_NET_H
#define MW_DET_NET_H

#include "detect.h"

extern const struct detector det_tls_sni, det_dns, det_sv2, det_endpoint;

#endif
