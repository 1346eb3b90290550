// SPDX-License-Identifier: GPL-2.0-or-later
/* The hooks minewall protects and the names of the chains it owns for each:
 * data that the ruleset, its generation chains and its sets all name. */
#include "config.h"

#include <linux/netfilter.h>

#include "ruleset_int.h"

/* Egress paths get block chains; input only sees the replies. */
const struct hook_def hook_output = {
	"output", "output_inspect", "output_mark", "output_block4", "output_block6",
	"output_fast", "output_clean", NF_INET_LOCAL_OUT };
const struct hook_def hook_forward = {
	"forward", "forward_inspect", "forward_mark", "forward_block4", "forward_block6",
	"forward_fast", "forward_clean", NF_INET_FORWARD };
const struct hook_def hook_input = {
	"input", "input_inspect", "input_mark", NULL, NULL, NULL, "input_clean",
	NF_INET_LOCAL_IN };
