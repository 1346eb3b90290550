// SPDX-License-Identifier: GPL-2.0-or-later
/* Capabilities: drop all but what the running daemon needs once start-up is done. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "privs.h"

/* Raw syscalls: libcap would be a dependency for three calls. */
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

/* Indexed by capability number, as in linux/capability.h. */
static const char *const cap_names[] = {
	"cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid",
	"cap_kill", "cap_setgid", "cap_setuid", "cap_setpcap", "cap_linux_immutable",
	"cap_net_bind_service", "cap_net_broadcast", "cap_net_admin", "cap_net_raw",
	"cap_ipc_lock", "cap_ipc_owner", "cap_sys_module", "cap_sys_rawio", "cap_sys_chroot",
	"cap_sys_ptrace", "cap_sys_pacct", "cap_sys_admin", "cap_sys_boot", "cap_sys_nice",
	"cap_sys_resource", "cap_sys_time", "cap_sys_tty_config", "cap_mknod", "cap_lease",
	"cap_audit_write", "cap_audit_control", "cap_setfcap", "cap_mac_override",
	"cap_mac_admin", "cap_syslog", "cap_wake_alarm", "cap_block_suspend", "cap_audit_read",
	"cap_perfmon", "cap_bpf", "cap_checkpoint_restore",
};

_Static_assert(CAP_NET_ADMIN == 12 && CAP_SETPCAP == 8, "capability numbers");

/* /proc/PID/status is a few kilobytes; this holds it with room to spare. */
#define STATUS_MAX 16384

uint64_t privs_daemon_keep(void)
{
	return PRIVS_BIT(CAP_NET_ADMIN);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One "Key:\t<16 hex digits>\n" value starting at p, with end the end of the text. */
static int parse_mask(const char *p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int n = 0;
	int h;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (; p < end && (h = hexval(*p)) >= 0; p++, n++) {
		if (n == 16)
			return -1;
		v = v << 4 | (unsigned int)h;
	}
	if (n == 0 || (p < end && *p != '\n'))
		return -1;
	*out = v;
	return 0;
}

int privs_parse_status(const char *text, size_t len, struct privs_sets *s)
{
	static const char *const keys[] = { "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:" };
	uint64_t *dst[] = { &s->inh, &s->prm, &s->eff, &s->bnd, &s->amb };
	const char *line = text, *end = text + len;
	unsigned int seen = 0, i;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *stop = nl ? nl : end;

		for (i = 0; i < 5; i++) {
			size_t k = strlen(keys[i]);

			if ((size_t)(stop - line) > k && memcmp(line, keys[i], k) == 0) {
				if (seen & (1u << i) || parse_mask(line + k, stop, dst[i]) < 0)
					return -1;
				seen |= 1u << i;
			}
		}
		line = stop + 1;
	}
	return seen == 0x1f ? 0 : -1;
}

int privs_names(uint64_t caps, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;
	int n;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	if (!caps) {
		if (len < sizeof("none"))
			return -1;
		memcpy(buf, "none", sizeof("none"));
		return 0;
	}
	for (i = 0; i < 64; i++) {
		if (!(caps & PRIVS_BIT(i)))
			continue;
		if (i < sizeof(cap_names) / sizeof(cap_names[0]))
			n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", cap_names[i]);
		else
			n = snprintf(buf + used, len - used, "%scap_%u", used ? "," : "", i);
		if (n < 0 || (size_t)n >= len - used) {
			buf[0] = '\0';
			return -1;
		}
		used += (size_t)n;
	}
	return 0;
}

int privs_read(struct privs_sets *s)
{
	char buf[STATUS_MAX];
	size_t len = 0;
	ssize_t r;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC), ret = -1;

	if (fd < 0)
		return -1;
	while (len < sizeof(buf) && (r = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		len += (size_t)r;
	}
	if (privs_parse_status(buf, len, s) < 0) {
		errno = EINVAL;
		goto out;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

int privs_drop(uint64_t keep, const char **step)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	uint64_t prm;
	bool setpcap;
	unsigned int cap;
	int r;

	*step = "no_new_privs";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	*step = "capget";
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	prm = (uint64_t)data[1].permitted << 32 | data[0].permitted;
	setpcap = (data[0].effective & (1u << CAP_SETPCAP)) != 0;
	/* Ambient capabilities are new in 4.3; an older kernel has none to clear. */
	*step = "ambient set";
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -1;
	/* The bounding set needs CAP_SETPCAP, so it goes before capset lowers the rest. The
	 * kernel answers EINVAL past its last capability. */
	*step = "bounding set";
	for (cap = 0; setpcap && cap < 64; cap++) {
		if (keep & PRIVS_BIT(cap))
			continue;
		r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (r < 0 && errno == EINVAL)
			break;
		if (r < 0 || (r == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0))
			return -1;
	}
	keep &= prm;
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	data[0].inheritable = data[1].inheritable = 0;
	*step = "capset";
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -1;
	*step = NULL;
	return 0;
}
