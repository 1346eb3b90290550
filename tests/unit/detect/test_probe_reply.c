// SPDX-License-Identifier: GPL-2.0-or-later
/* The prober's reply judge on real answers: pools' from the corpus captures
 * (nesfit, peafowl, zeekcm), a JSON-RPC server's, a geth-style node's, HTTP
 * servers', TLS alerts, garbage and silence. */
#include "config.h"

#include <string.h>

#include "unit.h"
#include "probe_reply.h"

static char what[96];
static enum probe_dialect shown;

static enum probe_verdict judge(enum probe_dialect d, const char *s, bool eof)
{
	what[0] = '\0';
	return probe_reply_classify(d, (const uint8_t *)s, strlen(s), eof, what, sizeof(what), &shown);
}

/* nesfit-xmr-eu1.nanopool.org: the pool's answer to xmr/1.0's login. */
static const char xmr_login_reply[] =
	"{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{\"id\":\"1\",\"job\":{\"blob\""
	":\"0405d5e1f3c3051418c24106d1f20432fb12e3ac2910d763616a015f03cbc257160b"
	"2530a5d2b900000000fe340b4d33c582a9f69c3986739425afe9c5ef53dad702ab0fa00"
	"2ebd0a19ce007\",\"job_id\":\"6774\",\"target\":\"69ba0000\"},\"status\""
	":\"OK\"},\"error\":null}\n";
/* nesfit-zec-eu1.nanopool.org: a ZCash pool's subscription (no extranonce2
 * size), then its set_target. */
static const char zec_reply[] =
	"{\"id\":1,\"result\":[null,\"e66c000000000000bbb0a52bb340bc35\"],\"erro"
	"r\":null}\n"
	"{\"id\":0,\"params\":[\"00041893000000000000000000000000000000000000000"
	"00000000000000000\"],\"method\":\"mining.set_target\"}\n";
/* nesfit-cgminer.s1: a server that is no pool answering mining.subscribe. */
static const char procedure_not_found[] =
	"{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"Procedure"
	" not found.\"},\"result\":null}\n";
/* peafowl-ethereum-stratum: ethproxy's login answer. */
static const char ethproxy_login_reply[] = "{\"id\":2,\"jsonrpc\":\"2.0\",\"result\":true}\n";
/* ndpi-jsonrpc: a JSON-RPC 2.0 echo service's answer. */
static const char echo_reply[] =
	"{\"jsonrpc\": \"2.0\", \"result\": [\"Testing!\"], \"id\": \"ca08159b-af1a-481f-a9e1-0dafdd22bdec\"}\n";

int main(void)
{
	char req[512];
	int n;

	/* The requests: one line each (two for ethproxy), the getwork POST whole. */
	n = probe_request(PROBE_CRYPTONOTE, "x", req, sizeof(req));
	CHECK(n > 0 && strstr(req, "\"method\":\"login\"") && req[n - 1] == '\n');
	n = probe_request(PROBE_ETHSTRATUM, "x", req, sizeof(req));
	CHECK(n > 0 && strstr(req, "EthereumStratum/1.0.0"));
	n = probe_request(PROBE_GETWORK, "203.0.113.7:3333", req, sizeof(req));
	CHECK(n > 0 && strstr(req, "Host: 203.0.113.7:3333\r\n") && strstr(req, "Content-Length: 39\r\n"));
	CHECK(strlen(strstr(req, "\r\n\r\n") + 4) == 39);
	CHECK(probe_request(PROBE_GETWORK, "x", req, 32) == -1);
	CHECK_STR(probe_dialect_name(PROBE_ETHPROXY), "ethproxy");

	/* Pools. */
	CHECK(judge(PROBE_CRYPTONOTE, xmr_login_reply, false) == PROBE_MINING);
	CHECK_STR(what, "login result with a job (blob, target)");
	CHECK(shown == PROBE_CRYPTONOTE);
	CHECK(judge(PROBE_BITCOIN, zec_reply, false) == PROBE_MINING);
	CHECK(strstr(what, "mining.set_target") != NULL);
	/* Its first line alone: read on; and if nothing follows, no pool shown. */
	CHECK(judge(PROBE_BITCOIN, "{\"id\":1,\"result\":[null,\"e66c0000\"],\"error\":null}\n", false) ==
	      PROBE_MORE);
	CHECK(judge(PROBE_BITCOIN, "{\"id\":1,\"result\":[null,\"e66c0000\"],\"error\":null}\n", true) ==
	      PROBE_NOT_MINING);
	CHECK(judge(PROBE_BITCOIN, "{\"id\":1,\"result\":[[[\"mining.set_difficulty\",\"1\"],"
		    "[\"mining.notify\",\"1\"]],\"08000002\",4],\"error\":null}\n", false) == PROBE_MINING);
	CHECK_STR(what, "subscribe extranonce1=08000002");
	CHECK(judge(PROBE_BITCOIN, "{\"id\":1,\"result\":[[\"mining.notify\",\"ae6812eb4cd7735a302a8a9dd95cf71f\","
		    "\"EthereumStratum/1.0.0\"],\"080c\"],\"error\":null}\n", false) == PROBE_MINING);
	CHECK(shown == PROBE_ETHSTRATUM);
	/* ethproxy: true proves nothing, the work package does. */
	CHECK(judge(PROBE_ETHPROXY, ethproxy_login_reply, false) == PROBE_MORE);
	CHECK(judge(PROBE_ETHPROXY, ethproxy_login_reply, true) == PROBE_NOT_MINING);
	{
		char two[512];

		snprintf(two, sizeof(two), "%s{\"id\":2,\"jsonrpc\":\"2.0\",\"result\":[\"0x%064d\","
			 "\"0x%064d\",\"0x%064d\"]}\n", ethproxy_login_reply, 1, 2, 3);
		CHECK(judge(PROBE_ETHPROXY, two, false) == PROBE_MINING);
		CHECK_STR(what, "eth_getWork work package");
	}
	/* A stratum error about the wallet is a pool's. */
	CHECK(judge(PROBE_CRYPTONOTE, "{\"id\":1,\"jsonrpc\":\"2.0\",\"error\":{\"code\":-1,"
		    "\"message\":\"Invalid payment address provided\"}}\n", false) == PROBE_MINING);
	CHECK_STR(what, "error: Invalid payment address provided");
	CHECK(judge(PROBE_BITCOIN, "{\"id\":1,\"result\":null,\"error\":[24,\"Unauthorized worker\",null]}\n",
		    false) == PROBE_MINING);
	/* getwork over HTTP. */
	CHECK(judge(PROBE_GETWORK, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{\"result\":{\"data\":\""
		    "0000000000000000000000000000000000000000000000000000000000000000\",\"target\":"
		    "\"ffffffff\"},\"error\":null,\"id\":1}", false) == PROBE_MINING);

	/* Not pools: JSON-RPC's own errors, whatever they name. */
	CHECK(judge(PROBE_BITCOIN, procedure_not_found, false) == PROBE_NOT_MINING);
	CHECK(strstr(what, "json-rpc error: Procedure not found.") == what);
	CHECK(judge(PROBE_ETHPROXY, "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":"
		    "\"the method eth_submitLogin does not exist/is not available\"}}\n", false) ==
	      PROBE_NOT_MINING);
	CHECK(judge(PROBE_CRYPTONOTE, "{\"id\":1,\"error\":{\"code\":-1,\"message\":\"unknown method login, "
		    "check the worker docs\"}}\n", false) == PROBE_NOT_MINING);
	CHECK(judge(PROBE_CRYPTONOTE, echo_reply, false) == PROBE_NOT_MINING);
	/* HTTP, TLS, garbage, silence, a server that closes. */
	CHECK(judge(PROBE_CRYPTONOTE, "HTTP/1.1 400 Bad Request\r\n\r\n", false) == PROBE_NOT_MINING);
	CHECK_STR(what, "http answer");
	CHECK(judge(PROBE_GETWORK, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", false) ==
	      PROBE_NOT_MINING);
	CHECK_STR(what, "http 404");
	CHECK(judge(PROBE_GETWORK, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n<html>", false) ==
	      PROBE_NOT_MINING);
	CHECK(judge(PROBE_GETWORK, "HTTP/1.1 200 OK\r\n", false) == PROBE_MORE);
	CHECK(judge(PROBE_BITCOIN, "\x15\x03\x03\x00\x02\x02\x28", false) == PROBE_NOT_MINING);
	CHECK_STR(what, "tls");
	CHECK(judge(PROBE_BITCOIN, "\x8f\x01garbage", false) == PROBE_NOT_MINING);
	CHECK(judge(PROBE_BITCOIN, "{\"id\":1,\"res", false) == PROBE_MORE);
	CHECK(judge(PROBE_BITCOIN, "{\"id\":1,\"res", true) == PROBE_NOT_MINING);
	CHECK(judge(PROBE_BITCOIN, "", false) == PROBE_MORE);
	CHECK(judge(PROBE_BITCOIN, "", true) == PROBE_NOT_MINING);
	CHECK_STR(what, "closed");
	/* A pool's notification after lines that say nothing. */
	CHECK(judge(PROBE_BITCOIN, "{\"id\":null,\"method\":\"client.show_message\",\"params\":[\"hi\"]}\n"
		    "{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"1\"]}\n", false) == PROBE_MINING);
	return UNIT_DONE();
}
