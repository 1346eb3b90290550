// SPDX-License-Identifier: GPL-2.0-or-later
/* The interfaces of the default routes, read with one rtnetlink dump per family. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "uplinks.h"

static void uplinks_add(struct uplinks *u, unsigned int ifindex)
{
	char name[IF_NAMESIZE];
	unsigned int i;

	if (ifindex == 0 || !if_indextoname(ifindex, name))
		return;
	for (i = 0; i < u->n; i++)
		if (strcmp(u->name[i], name) == 0)
			return;
	if (u->n >= UPLINKS_MAX)
		return;
	memcpy(u->name[u->n], name, sizeof(name));
	u->ptr[u->n] = u->name[u->n];
	u->n++;
}

static int route_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, RTA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = a;
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct uplinks *u = data;
	uint32_t table;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rm->rtm_dst_len != 0 || rm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rm), route_attr_cb, tb);
	table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rm->rtm_table;
	if (table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	if (tb[RTA_OIF])
		uplinks_add(u, mnl_attr_get_u32(tb[RTA_OIF]));
	if (tb[RTA_MULTIPATH]) {
		const struct rtnexthop *nh = mnl_attr_get_payload(tb[RTA_MULTIPATH]);
		int len = (int)mnl_attr_get_payload_len(tb[RTA_MULTIPATH]);

		while (len >= (int)sizeof(*nh) && nh->rtnh_len >= sizeof(*nh) && nh->rtnh_len <= len) {
			uplinks_add(u, (unsigned int)nh->rtnh_ifindex);
			len -= RTNH_ALIGN(nh->rtnh_len);
			nh = RTNH_NEXT(nh);
		}
	}
	return MNL_CB_OK;
}

static int dump_family(struct mnl_socket *nl, unsigned char family, uint32_t seq,
		       struct uplinks *u)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rm;
	uint32_t portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int rc;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rm));
	rm->rtm_family = family;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, route_cb, u);
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc < 0)
			return -1;
	}
	return n < 0 ? -1 : 0;
}

int uplinks_discover(struct uplinks *u)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	uint32_t seq = (uint32_t)time(NULL);
	int rc = -1, err = 0;

	memset(u, 0, sizeof(*u));
	if (!nl)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0 &&
	    dump_family(nl, AF_INET, seq, u) == 0 && dump_family(nl, AF_INET6, seq + 1, u) == 0)
		rc = 0;
	else
		err = errno;
	mnl_socket_close(nl);
	errno = err;
	return rc;
}
