// SPDX-License-Identifier: GPL-2.0-or-later
/* minewalld: the inline verdict daemon. */
#include "config.h"

#include <stdio.h>

#include "log.h"

int main(int argc, char **argv)
{
	log_init("minewalld", 1, LOG_LVL_INFO);
	log_info("minewall %s", PACKAGE_VERSION);
	return 0;
}
