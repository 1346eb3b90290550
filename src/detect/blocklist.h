/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loading the shipped plain-text lists (pool domains, endpoints, ports) with
 * FILE:LINE errors; a file with any error changes nothing. */
#ifndef MW_BLOCKLIST_H
#define MW_BLOCKLIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ep_table.h"

struct domain_set;
struct ep_table;

#define BLOCKLIST_LINE_MAX 1024

/* Each loader reads the whole file, writes every error as "FILE:LINE: message\n"
 * to errs (when not NULL) and adds the entries to the target only if there was
 * none. Returns the number of entries loaded, or -1. */
int blocklist_load_domains(const char *path, struct domain_set *ds, FILE *errs);
int blocklist_load_endpoints(const char *path, struct ep_table *t, uint32_t tag, FILE *errs);
/* Sets the listed ports' bits in bitmap (bit p is bitmap[p >> 3] & (1 << (p & 7)));
 * bits already set stay set. Returns the number of lines with a port or range. */
int blocklist_load_ports(const char *path, uint8_t bitmap[8192], FILE *errs);

/* One line of each format (no newline). 1 with a result, 0 for a blank or
 * comment line, -1 with a reason in err. A '#' after whitespace starts a comment. */
int blocklist_parse_domain(const char *line, char *name, size_t namesize, char *err, size_t errsize);
int blocklist_parse_endpoint(const char *line, struct ep_entry *e, char *err, size_t errsize);
int blocklist_parse_port(const char *line, uint16_t *lo, uint16_t *hi, char *err, size_t errsize);

#endif
