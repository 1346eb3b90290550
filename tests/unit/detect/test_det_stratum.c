/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the stratum detector, on bytes from the pcap corpus. */
#include "config.h"

#include <stdio.h>

#include "det_app.h"
#include "det_stream.h"
#include "unit.h"

/* Real payloads (tests/../corpus: nesfit-cgminer.s1, nesfit-zec-eu1.nanopool.org,
 * ndpi-mining, peafowl-ethereum-stratum, nesfit-xmr-eu1.nanopool.org,
 * zeekcm-coinhive-stratum, nesfit-cgminer.g2, zeekcm-bitcoin-mining-in-progress,
 * ndpi-jsonrpc). */
static const char cgminer_sub[] =
	"{\"id\": 0, \"method\": \"mining.subscribe\", \"params\": [\"cgminer/3."
	"7.2\"]}\n";

static const char cgminer_sub_reply[] =
	"{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"Procedure"
	" not found.\"},\"result\":null}\n";

static const char zec_pipelined[] =
	"{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": [\"equihashmi"
	"ner\", null, \"zec-eu1.nanopool.org\", \"6666\"]}\n"
	"{\"id\": 2, \"method\": \"mining.authorize\", \"params\": [\"t1KJkEGkUr"
	"mBRQdeQeNchfqgvDFD7Pk1kKQ.kvetak\",\"password\"]}\n"
	"{\"id\": 5, \"method\": \"mining.extranonce.subscribe\", \"params\": []"
	"}\n";

static const char zec_reply[] =
	"{\"id\":1,\"result\":[null,\"e66c000000000000bbb0a52bb340bc35\"],\"erro"
	"r\":null}\n"
	"{\"id\":0,\"params\":[\"00041893000000000000000000000000000000000000000"
	"00000000000000000\"],\"method\":\"mining.set_target\"}\n";

static const char ewbf_sub[] =
	"{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"EWBF 0.3.4b\",n"
	"ull,\"eu1-zcash.flypool.org\",\"3333\"]}\n";

static const char ethproxy_login[] =
	"{\"worker\": \"eth1.0\", \"jsonrpc\": \"2.0\", \"params\": [\"0x0fccfff"
	"9e61a230ff380530c6827caf4759337c6.rig2\", \"x\"], \"id\": 2, \"method\""
	": \"eth_submitLogin\"}\n";

static const char ethproxy_login_reply[] =
	"{\"id\":2,\"jsonrpc\":\"2.0\",\"result\":true}\n";

static const char xmr_login[] =
	"{\"method\": \"login\", \"params\": {\"login\": \"47mr7jYTroxQMwdKoPQuJ"
	"oc9Vs9S9qCUAL6Ek4qyNFWJdqgBZRn4RYY2QjQfqEMJZVWPscupSgaqmUn1dpdUTC4fQsu3"
	"yjN\", \"pass\": \"x\", \"agent\": \"xmr/1.0\"}, \"id\": 1}\n";

static const char xmr_login_reply[] =
	"{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{\"id\":\"1\",\"job\":{\"blob\""
	":\"0405d5e1f3c3051418c24106d1f20432fb12e3ac2910d763616a015f03cbc257160b"
	"2530a5d2b900000000fe340b4d33c582a9f69c3986739425afe9c5ef53dad702ab0fa00"
	"2ebd0a19ce007\",\"job_id\":\"6774\",\"target\":\"69ba0000\"},\"status\""
	":\"OK\"},\"error\":null}\n";

static const char xmrstak_login[] =
	"{\"method\":\"login\",\"params\":{\"login\":\"4BCeEPhodgPMbPWFN1dPwhWXd"
	"RX8q4mhhdZdA1dtSMLTLCEYvAj9QXjXAfF7CugEbmfBhgkqHbdgK9b2wKA6nqRZQCgvCDm."
	"cb2b73415c4faf214035a73b9d947c202342f3bf3bdf632132bd6d7af98cb257.ryzen\""
	",\"pass\":\"x\",\"agent\":\"xmr-stak-cpu/1.3.0-1.5.0\"},\"id\":1}\n";

static const char coinhive_login[] =
	"{\"id\":1,\"method\":\"login\",\"params\":{\"login\":\"46WNbmwXpYxiBpkb"
	"HjAgjC65cyzAxtaaBQjcGpAZquhBKw2r8NtPQniEgMJcwFMCZzSBrEJtmPsTR54MoGBDbjT"
	"i2W1XmgM\",\"pass\":\"donations\"}}\n";

static const char coinhive_login_reply[] =
	"{\"id\":1,\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"id\":\"3dce7"
	"49b-7604-4206-a591-c69d079baadb\",\"job\":{\"blob\":\"0707c5e0dfdc057c6"
	"0c5dbdb26b716a880df1188dc87aac5d21a6a8230adcf679c2058fd7b807e0000000099"
	"330aefd29c503d834876f4d322f20473210298ff97414fec94dc5ec919da8507\",\"jo"
	"b_id\":\"x9pNUIWAceXY1JxrwmLYh4g+Bdy+\",\"target\":\"711b0d00\",\"id\":"
	"\"3dce749b-7604-4206-a591-c69d079baadb\"},\"status\":\"OK\"}}\n";

static const char notify_midflow[] =
	"{\"id\":6,\"jsonrpc\":\"2.0\",\"params\":[\"a09ae4cb05c3b3d5bf2254b6e46"
	"254d91cc749565b97034297b3b5a9fc9ec608\",\"a09ae4cb05c3b3d5bf2254b6e4625"
	"4d91cc749565b97034297b3b5a9fc9ec608\",\"52341cf7371faf9a5a0105914ad69f0"
	"4b0cabfc51d12a2a28a00d5b808ea4e5c\",\"000000006df37f675ef6eadf5ab9a2072"
	"d44268d97df837e6748956e5c6c2116\",false],\"method\":\"mining.notify\"}\n";

static const char gettx_midflow[] =
	"{\"params\": [\"26eb-2\"], \"id\": \"txlist26eb-2\", \"method\": \"mini"
	"ng.get_transactions\"}\n"
	"{\"params\": [\"26ec-3\"], \"id\": \"txlist26ec-3\", \"method\": \"mini"
	"ng.get_transactions\"}\n";

static const char echo_rpc[] =
	"{\"jsonrpc\": \"2.0\", \"method\": \"echo\", \"params\": [\"Testing!\"]"
	", \"id\": \"ca08159b-af1a-481f-a9e1-0dafdd22bdec\"}";

static const struct det_env env0;

/* Positive: DET_MORE at every cut, then the match with dialect and detail. */
static void positive(const char *name, const char *orig, const char *dialect, const char *detail)
{
	struct det_finding f;

	/* Cuts inside the first line; a complete first line decides on its own. */
	CHECK(det_more_at_splits(&det_stratum, &env0, orig, strcspn(orig, "\n") + 1) == 0);
	CHECK(det_run_c(&det_stratum, &env0, orig, &f) == DET_MATCH);
	CHECK_STR(f.dialect, dialect);
	if (detail)
		CHECK_STR(f.detail, detail);
	CHECK(!f.confirmed);
	if (strcmp(f.dialect, dialect) || (detail && strcmp(f.detail, detail)))
		fprintf(stderr, "%s: got %s / %s\n", name, f.dialect, f.detail);
}

static void negative(const char *orig)
{
	struct det_finding f;
	enum det_result r = det_run_c(&det_stratum, &env0, orig, &f);

	CHECK(r == DET_NO);
	if (r != DET_NO)
		fprintf(stderr, "not DET_NO (%d): %s\n", r, orig);
}

static void test_positives(void)
{
	positive("cgminer", cgminer_sub, "bitcoin", "mining.subscribe agent=cgminer/3.7.2");
	positive("zec pipelined", zec_pipelined, "bitcoin", "mining.subscribe agent=equihashminer");
	positive("ewbf", ewbf_sub, "bitcoin", "mining.subscribe agent=EWBF 0.3.4b");
	positive("ethproxy", ethproxy_login, "ethproxy", "eth_submitLogin");
	positive("xmr", xmr_login, "cryptonote", "login agent=xmr/1.0");
	positive("xmr-stak", xmrstak_login, "cryptonote", "login agent=xmr-stak-cpu/1.3.0-1.5.0");
	positive("coinhive", coinhive_login, "cryptonote", "login");
	/* Dialects the corpus does not have, written after the published specs. */
	positive("nicehash", "{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": "
		 "[\"ethminer/0.19.0\", \"EthereumStratum/1.0.0\"]}\n",
		 "ethereumstratum", "mining.subscribe proto=EthereumStratum/1.0.0");
	positive("stratum2", "{\"id\":0,\"method\":\"mining.hello\",\"params\":{\"agent\":"
		 "\"ethminer-0.19.0\",\"host\":\"eu1.ethermine.org\",\"port\":\"4d2\","
		 "\"proto\":\"EthereumStratum/2.0.0\"}}\n", "ethereumstratum", "mining.hello");
	positive("configure", "{\"id\":1,\"method\":\"mining.configure\",\"params\":[[\"version-rolling\"],"
		 "{\"version-rolling.mask\":\"1fffe000\"}]}\n", "bitcoin", "mining.configure");
	positive("authorize first", "{\"params\": [\"user.worker\", \"x\"], \"id\": \"auth\", "
		 "\"method\": \"mining.authorize\"}\n", "bitcoin", "mining.authorize");
	positive("submit", "{\"id\":4,\"method\":\"submit\",\"params\":{\"id\":\"1\",\"job_id\":\"6774\","
		 "\"nonce\":\"a0010000\",\"result\":\"00ff\"}}\n", "cryptonote", "submit");
	positive("keepalived", "{\"id\":3,\"method\":\"keepalived\",\"params\":{\"id\":\"1\"}}\n",
		 "cryptonote", "keepalived");
	positive("algo only", "{\"id\":1,\"method\":\"login\",\"params\":{\"login\":\"w\","
		 "\"algo\":[\"cn/r\"]}}\n", "cryptonote", "login");
}

static void test_confirmed(void)
{
	struct det_finding f;

	/* A cryptonote pool's login reply carries a job: confirmed. */
	CHECK(det_run(&det_stratum, &env0, xmr_login, strlen(xmr_login), xmr_login_reply,
		      strlen(xmr_login_reply), false, false, &f) == DET_MATCH);
	CHECK_STR(f.dialect, "cryptonote");
	CHECK(f.confirmed);
	CHECK(det_run(&det_stratum, &env0, coinhive_login, strlen(coinhive_login),
		      coinhive_login_reply, strlen(coinhive_login_reply), false, false, &f) == DET_MATCH);
	CHECK(f.confirmed);
	/* The zcash pool answers, then pushes mining.set_target: confirmed. */
	CHECK(det_run(&det_stratum, &env0, zec_pipelined, strlen(zec_pipelined), zec_reply,
		      strlen(zec_reply), false, false, &f) == DET_MATCH);
	CHECK(f.confirmed);
	/* This cgminer probe hit a server that is no pool: a match, not confirmed. */
	CHECK(det_run(&det_stratum, &env0, cgminer_sub, strlen(cgminer_sub), cgminer_sub_reply,
		      strlen(cgminer_sub_reply), false, false, &f) == DET_MATCH);
	CHECK(!f.confirmed);
	/* ethproxy only answers "result": true, which proves nothing. */
	CHECK(det_run(&det_stratum, &env0, ethproxy_login, strlen(ethproxy_login),
		      ethproxy_login_reply, strlen(ethproxy_login_reply), false, false, &f) == DET_MATCH);
	CHECK(!f.confirmed);
}

static void test_midstream(void)
{
	static const char electrum_mid[] = "x\"}\n{\"jsonrpc\": \"2.0\", \"method\": "
		"\"blockchain.headers.subscribe\", \"params\": [{\"height\": 5}]}\n";
	struct det_finding f;
	size_t n = strlen(gettx_midflow);

	/* Server mining.notify with no client bytes (nesfit-cgminer.g2). */
	CHECK(det_run(&det_stratum, &env0, NULL, 0, notify_midflow, strlen(notify_midflow),
		      true, false, &f) == DET_MATCH);
	CHECK_STR(f.detail, "mining.notify");
	CHECK_STR(f.dialect, "bitcoin");
	/* The same bytes with roles swapped: midstream does not trust direction. */
	CHECK(det_run(&det_stratum, &env0, notify_midflow, strlen(notify_midflow), NULL, 0,
		      true, false, &f) == DET_MATCH);
	/* Not midstream, a server that speaks first is not stratum. */
	CHECK(det_run(&det_stratum, &env0, NULL, 0, notify_midflow, strlen(notify_midflow),
		      false, false, &f) == DET_MORE);
	CHECK(det_run(&det_stratum, &env0, NULL, 0, "220 smtp ready\r\n", 16,
		      false, false, &f) == DET_NO);
	/* Client mining.get_transactions, captured from a line start ... */
	CHECK(det_run(&det_stratum, &env0, gettx_midflow, n, NULL, 0, true, false, &f) == DET_MATCH);
	CHECK_STR(f.detail, "mining.get_transactions");
	/* ... and from inside the first line: the second line decides. */
	CHECK(det_run(&det_stratum, &env0, gettx_midflow + 20, n - 20, NULL, 0, true, false,
		      &f) == DET_MATCH);
	/* Inside the first line with no newline yet: wait; full buffer: give up. */
	CHECK(det_run(&det_stratum, &env0, gettx_midflow + 20, 30, NULL, 0, true, false,
		      &f) == DET_MORE);
	CHECK(det_run(&det_stratum, &env0, gettx_midflow + 20, 30, NULL, 0, true, true,
		      &f) == DET_NO);
	/* Midstream TLS: binary bytes, no decision wait. */
	CHECK(det_run(&det_stratum, &env0, "\x17\x03\x03\x00\x1e\x00\x00\x00\x9d", 9, NULL, 0,
		      true, false, &f) == DET_NO);
	/* Midstream Electrum notification: JSON, but not mining. */
	CHECK(det_run(&det_stratum, &env0, electrum_mid, strlen(electrum_mid), NULL, 0,
		      true, false, &f) == DET_NO);
}

static void test_negatives(void)
{
	struct det_finding f;

	/* Electrum. */
	negative("{\"jsonrpc\": \"2.0\", \"method\": \"server.version\", \"params\": "
		 "[\"electrum/4.1.5\", \"1.4\"], \"id\": 0}\n");
	negative("{\"id\": 1, \"method\": \"blockchain.scripthash.subscribe\", \"params\": [\"ab\"]}\n");
	/* Ethereum node RPC over a socket. */
	negative("{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[],\"id\":83}\n");
	negative("{\"jsonrpc\":\"2.0\",\"method\":\"eth_call\",\"params\":[{\"to\":\"0x1\"},\"latest\"],\"id\":1}\n");
	negative("{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"web3_clientVersion\",\"params\":[]}\n");
	/* bitcoind RPC that is not a stratum call. */
	negative("{\"jsonrpc\":\"1.0\",\"id\":\"curltest\",\"method\":\"getblockchaininfo\",\"params\":[]}\n");
	negative("{\"jsonrpc\":\"1.0\",\"id\":\"t\",\"method\":\"getblocktemplate\",\"params\":[]}\n");
	/* LSP: Content-Length framed. */
	negative("Content-Length: 52\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}");
	/* JSON-RPC 2.0 echo from ndpi-jsonrpc.pcap (no newline: complete once a line ends). */
	CHECK(det_run_c(&det_stratum, &env0, echo_rpc, &f) == DET_MORE);
	CHECK(det_run(&det_stratum, &env0, echo_rpc, strlen(echo_rpc), NULL, 0, false, true,
		      &f) == DET_NO);
	{
		char line[256];

		snprintf(line, sizeof(line), "%s\n", echo_rpc);
		negative(line);
	}
	/* Ordinary JSON, and look-alikes that only share words. */
	negative("{\"name\": \"mining.subscribe\", \"value\": 3}\n");
	negative("{\"id\":1,\"method\":\"chat.send\",\"params\":[\"mining.subscribe\"]}\n");
	negative("{\"id\":1,\"method\":\"login\",\"params\":{\"username\":\"bob\",\"password\":\"x\"}}\n");
	negative("{\"id\":1,\"method\":\"login\",\"params\":{\"login\":\"bob\"}}\n");
	negative("{\"method\":\"mining.subscribe\",\"params\":[\"cgminer\"]}\n");	/* no id */
	negative("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":\"cgminer\"}\n");
	negative("{\"id\":1,\"method\":\"mining.notify\",\"params\":[\"a\"]}\n");	/* server-only */
	negative("[{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}]\n");
	negative("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]\n");	/* unbalanced */
	negative("{1:2}\n");
	negative("GET / HTTP/1.1\r\n");
	negative("SSH-2.0-OpenSSH_9.2\r\n");
	negative("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");
	/* A reply-shaped first line proves nothing; four of them end the wait. */
	CHECK(det_run_c(&det_stratum, &env0, "{\"id\":1,\"result\":true,\"error\":null}\n", &f) == DET_MORE);
	negative("{\"id\":1,\"result\":true}\n{\"id\":2,\"result\":true}\n{\"id\":3,\"result\":1}\n"
		 "{\"id\":4,\"result\":2}\n");
	/* Full buffer without a newline. */
	CHECK(det_run(&det_stratum, &env0, "{\"id\": 1, \"method\": \"mining.subscr", 34, NULL, 0,
		      false, true, &f) == DET_NO);
}

static void test_classifier(void)
{
	static const char notify[] = "{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[8]}";
	static const char auth[] = "{\"type\":\"auth\",\"params\":{\"site_key\":\"abc\","
		"\"type\":\"anonymous\",\"user\":null,\"goal\":0}}";
	static const char noauth[] = "{\"type\":\"auth\",\"params\":{\"token\":\"abc\"}}";
	struct det_finding f;

	memset(&f, 0, sizeof(f));
	CHECK(stratum_classify_line((const uint8_t *)notify, strlen(notify), STRATUM_FROM_SERVER,
				    &f) == DET_MATCH);
	CHECK(f.confirmed);
	memset(&f, 0, sizeof(f));
	CHECK(stratum_classify_line((const uint8_t *)notify, strlen(notify), STRATUM_FROM_CLIENT,
				    &f) == DET_NO);
	CHECK(stratum_classify_line((const uint8_t *)cgminer_sub, strlen(cgminer_sub),
				    STRATUM_FROM_SERVER, &f) == DET_NO);
	CHECK(stratum_classify_line((const uint8_t *)cgminer_sub, strlen(cgminer_sub),
				    STRATUM_FROM_ANY, &f) == DET_MATCH);
	CHECK(stratum_classify_line((const uint8_t *)auth, strlen(auth), STRATUM_FROM_CLIENT,
				    &f) == DET_MATCH);
	CHECK_STR(f.dialect, "coinhive");
	CHECK_STR(f.detail, "auth site_key=abc");
	CHECK(stratum_classify_line((const uint8_t *)noauth, strlen(noauth), STRATUM_FROM_CLIENT,
				    &f) == DET_NO);
}

int main(void)
{
	test_positives();
	test_confirmed();
	test_midstream();
	test_negatives();
	test_classifier();
	return UNIT_DONE();
}
