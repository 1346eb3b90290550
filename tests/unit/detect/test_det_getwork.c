/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the HTTP request parser and the getwork detector, on bytes
 * from the pcap corpus (nesfit-cgminer.g0, nesfit-pool.eth.pp.ua, ndpi-jsonrpc,
 * peafowl-ethereum-js-http). */
#include "config.h"

#include <stdio.h>

#include "det_app.h"
#include "det_stream.h"
#include "http_req.h"
#include "unit.h"

static const char gbt_req[] =
	"POST / HTTP/1.1\r\n"
	"Authorization: Basic Qml0Y29pbjp4\r\n"
	"Host: 138.201.31.12:3335\r\n"
	"Accept: */*\r\n"
	"Accept-Encoding: deflate, gzip\r\n"
	"Content-type: application/json\r\n"
	"X-Mining-Extensions: longpoll midstate rollntime submitold\r\n"
	"Content-Length: 116\r\n"
	"User-Agent: cgminer 3.7.2\r\n"
	"\r\n"
	"{\"id\": 0, \"method\": \"getblocktemplate\", \"params\": [{\"capabilit"
	"ies\": [\"coinbasetxn\", \"workid\", \"coinbase/append\"]}]}\n";

static const char getwork_req[] =
	"POST / HTTP/1.1\r\n"
	"Authorization: Basic Qml0Y29pbjp4\r\n"
	"Host: 198.251.88.37:8888\r\n"
	"Accept: */*\r\n"
	"Accept-Encoding: deflate, gzip\r\n"
	"Content-type: application/json\r\n"
	"X-Mining-Extensions: longpoll midstate rollntime submitold\r\n"
	"Content-Length: 44\r\n"
	"User-Agent: cgminer 3.7.2\r\n"
	"\r\n"
	"{\"method\": \"getwork\", \"params\": [], \"id\":0}\n";

static const char eth_hashrate_req[] =
	"POST /?miner=30@0x4b999ba68e017854ffb6b494bc2ddb9ef02bd745@OptionalRigN"
	"ame HTTP/1.1\r\n"
	"Host: pool.eth.pp.ua\r\n"
	"Accept: */*\r\n"
	"Content-Type: application/json\r\n"
	"charsets: utf-8\r\n"
	"Content-Length: 141\r\n"
	"\r\n"
	"{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"eth_submitHashrate\",\"param"
	"s\":[\"0x0\",\"0x595394dfcf62b8f99cf36dae818fa985a394c6ded5d59f8711e93d"
	"445ad257a0\"]}\n";

static const char eth_getwork_req[] =
	"POST /?miner=30@0x4b999ba68e017854ffb6b494bc2ddb9ef02bd745@OptionalRigN"
	"ame HTTP/1.1\r\n"
	"Host: pool.eth.pp.ua\r\n"
	"Accept: */*\r\n"
	"Content-Type: application/json\r\n"
	"charsets: utf-8\r\n"
	"Content-Length: 48\r\n"
	"\r\n"
	"{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"eth_getWork\"}\n";

static const char zabbix_req[] =
	"POST /zabbix/jsrpc.php?output=json-rpc HTTP/1.1\r\n"
	"Host: mdotti.dyndns.org\r\n"
	"Connection: keep-alive\r\n"
	"Content-Length: 117\r\n"
	"Accept: text/javascript, text/html, application/xml, text/xml, */*\r\n"
	"X-Prototype-Version: 1.6.1\r\n"
	"Origin: http://mdotti.dyndns.org\r\n"
	"X-Requested-With: XMLHttpRequest\r\n"
	"User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_2) AppleWebKit/"
	"537.36 (KHTML, like Gecko) Chrome/39.0.2171.95 Safari/537.36\r\n"
	"Content-type: application/json-rpc\r\n"
	"Referer: http://mdotti.dyndns.org/zabbix/screens.php?ddreset=1&sid=debc"
	"a02b7757aba4\r\n"
	"Accept-Encoding: gzip, deflate\r\n"
	"Accept-Language: en-US,en;q=0.8,pt;q=0.6,es;q=0.4\r\n"
	"Cookie: PHPSESSID=hevg1p9b21l70jqd3od9pt0503; ui-tabs-1=4; ZBX_CONFIG=a"
	"%3A4%3A%7Bs%3A19%3A%22check_fields_result%22%3Bb%3A1%3Bs%3A4%3A%22step%"
	"22%3Bi%3A0%3Bs%3A5%3A%22agree%22%3Bb%3A0%3Bs%3A10%3A%22allowed_db%22%3B"
	"a%3A1%3A%7Bs%3A5%3A%22MYSQL%22%3Bs%3A5%3A%22MySQL%22%3B%7D%7D; tab=4; z"
	"bx_sessionid=608917ce3dd5c681debca02b7757aba4\r\n"
	"\r\n"
	"{\"jsonrpc\": \"2.0\", \"method\": \"zabbix.status\", \"params\": {}, \""
	"auth\": \"608917ce3dd5c681debca02b7757aba4\", \"id\": 103796}";

static const char geth_req[] =
	"POST / HTTP/1.1\r\n"
	"Host: localhost:8545\r\n"
	"User-Agent: curl/7.56.1\r\n"
	"Accept: */*\r\n"
	"Content-Type: application/json\r\n"
	"Content-Length: 66\r\n"
	"\r\n"
	"{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"web3_clientVersion\",\"param"
	"s\":[]}";

static const struct det_env env0;

static size_t head_len(const char *req)
{
	return (size_t)(strstr(req, "\r\n\r\n") - req) + 4;
}

static void test_http_req(void)
{
	struct http_req r;
	const struct http_header *h;
	const uint8_t *b = (const uint8_t *)gbt_req;
	size_t n = strlen(gbt_req), i;

	CHECK(http_req_parse(b, n, &r) == HTTP_OK);
	CHECK(r.method_len == 4 && memcmp(r.method, "POST", 4) == 0);
	CHECK(r.target_len == 1 && r.target[0] == '/');
	CHECK(r.version_minor == 1);
	CHECK(r.has_content_length && r.content_length == 116);
	CHECK(r.body_off == head_len(gbt_req));
	CHECK(r.n_headers == 8);
	h = http_req_header(&r, "x-mining-extensions");
	CHECK(h && h->value_len == 37 && memcmp(h->value, "longpoll", 8) == 0);
	CHECK(h && http_header_has_token(h, "MIDSTATE"));
	CHECK(h && !http_header_has_token(h, "mid"));
	CHECK(http_req_header(&r, "Upgrade") == NULL);
	/* Every cut inside the head is incomplete, never invalid. */
	for (i = 0; i < r.body_off; i++)
		if (http_req_parse(b, i, &r) != HTTP_INCOMPLETE) {
			CHECK(0);
			fprintf(stderr, "cut %zu\n", i);
			break;
		}
	CHECK(http_req_method_check((const uint8_t *)"POS", 3) == HTTP_INCOMPLETE);
	CHECK(http_req_method_check((const uint8_t *)"POST", 4) == HTTP_INCOMPLETE);
	CHECK(http_req_method_check((const uint8_t *)"POSTX", 5) == HTTP_INVALID);
	CHECK(http_req_method_check((const uint8_t *)"{\"id", 4) == HTTP_INVALID);
	CHECK(http_req_method_check((const uint8_t *)"GET /", 5) == HTTP_OK);
#define BAD(s) CHECK(http_req_parse((const uint8_t *)(s), strlen(s), &r) == HTTP_INVALID)
	BAD("GET / HTTP/2.0\r\n\r\n");
	BAD("GET  / HTTP/1.1\r\n\r\n");
	BAD("GET / HTTP/1.1\n\n");
	BAD("GET / HTTP/1.1\r\nNo colon\r\n\r\n");
	BAD("GET / HTTP/1.1\r\n: empty\r\n\r\n");
	BAD("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n");
	BAD("POST / HTTP/1.1\r\nContent-Length: 1\r\ncontent-length: 2\r\n\r\n");
	BAD("POST / HTTP/1.1\r\nContent-Length: 99999999999999999\r\n\r\n");
	CHECK(http_req_parse((const uint8_t *)"POST / HTTP/1.0\r\ncontent-length:  7 \r\n\r\n", 41,
			     &r) == HTTP_OK && r.content_length == 7 && r.version_minor == 0);
}

/* A POST with body and a correct Content-Length, in a static buffer. */
static const char *post(const char *body)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\nContent-Length: %zu\r\n\r\n%s",
		 strlen(body), body);
	return buf;
}

static void positive(const char *req, size_t more_below, const char *dialect, const char *detail)
{
	struct det_finding f;

	CHECK(det_more_at_splits(&det_getwork, &env0, req, more_below) == 0);
	CHECK(det_run_c(&det_getwork, &env0, req, &f) == DET_MATCH);
	CHECK_STR(f.dialect, dialect);
	CHECK_STR(f.detail, detail);
	if (strcmp(f.dialect, dialect) || strcmp(f.detail, detail))
		fprintf(stderr, "got %s / %s\n", f.dialect, f.detail);
}

static void test_positives(void)
{
	struct det_finding f;
	size_t h = head_len(gbt_req);

	positive(gbt_req, strlen(gbt_req), "getblocktemplate",
		 "HTTP POST getblocktemplate, X-Mining-Extensions: longpoll midstate rollntime submitold");
	positive(getwork_req, strlen(getwork_req), "getwork",
		 "HTTP POST getwork, X-Mining-Extensions: longpoll midstate rollntime submitold");
	/* The header decides; while the announced body is on its way, wait for
	 * it to name the call. A full buffer ends the wait: the header is enough. */
	CHECK(det_run(&det_getwork, &env0, gbt_req, h, NULL, 0, false, false, &f) == DET_MORE);
	CHECK(det_run(&det_getwork, &env0, gbt_req, h + 20, NULL, 0, false, false, &f) == DET_MORE);
	CHECK(det_run(&det_getwork, &env0, gbt_req, h, NULL, 0, false, true, &f) == DET_MATCH);
	CHECK_STR(f.dialect, "getwork");
	CHECK_STR(f.detail, "X-Mining-Extensions: longpoll midstate rollntime submitold");
	/* Ethereum getwork: needs the body, so every proper prefix waits. */
	positive(eth_getwork_req, strlen(eth_getwork_req), "eth-getwork", "HTTP POST eth_getWork");
	positive(eth_hashrate_req, strlen(eth_hashrate_req), "eth-getwork",
		 "HTTP POST eth_submitHashrate");
	/* A batch whose first call is getwork. */
	CHECK(det_run_c(&det_getwork, &env0, post("[{\"method\":\"getwork\",\"params\":[],\"id\":1}]"),
			&f) == DET_MATCH);
	CHECK_STR(f.dialect, "getwork");
	/* The body cut off by a full buffer: give up. */
	CHECK(det_run(&det_getwork, &env0, eth_getwork_req, strlen(eth_getwork_req) - 5, NULL, 0,
		      false, true, &f) == DET_NO);
}

static void test_negatives(void)
{
	char block[400];
	struct det_finding f;
	size_t n;

	/* Zabbix JSON-RPC (ndpi-jsonrpc.pcap) and geth (peafowl-ethereum-js-http.pcap). */
	CHECK(det_run_c(&det_getwork, &env0, zabbix_req, &f) == DET_NO);
	CHECK(det_more_at_splits(&det_getwork, &env0, zabbix_req, strlen(zabbix_req)) == 0);
	CHECK(det_run_c(&det_getwork, &env0, geth_req, &f) == DET_NO);
	CHECK(det_run_c(&det_getwork, &env0, "POST / HTTP/1.1\r\nContent-Length: 63\r\n\r\n"
			"{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[],\"id\":83}",
			&f) == DET_NO);
	CHECK(det_run_c(&det_getwork, &env0, "POST / HTTP/1.1\r\nContent-Length: 56\r\n\r\n"
			"{\"jsonrpc\":\"2.0\",\"method\":\"eth_call\",\"params\":[],\"id\":1}",
			&f) == DET_NO);
	/* A getwork word outside the method is nothing. */
	CHECK(det_run_c(&det_getwork, &env0, "POST / HTTP/1.1\r\nContent-Length: 38\r\n\r\n"
			"{\"method\":\"echo\",\"params\":[\"getwork\"]}", &f) == DET_NO);
	/* GET to a pool web page, stratum, TLS, and a server that speaks first. */
	CHECK(det_run_c(&det_getwork, &env0, "GET /getwork HTTP/1.1\r\nHost: x\r\n\r\n", &f) == DET_NO);
	CHECK(det_run_c(&det_getwork, &env0, "{\"id\":1,\"method\":\"getwork\"}\n", &f) == DET_NO);
	CHECK(det_run(&det_getwork, &env0, "\x16\x03\x01", 3, NULL, 0, false, false, &f) == DET_NO);
	CHECK(det_run(&det_getwork, &env0, NULL, 0, "220 x\r\n", 7, false, false, &f) == DET_MORE);
	/* No or oversized Content-Length, malformed body. */
	CHECK(det_run_c(&det_getwork, &env0, "POST / HTTP/1.1\r\nHost: x\r\n\r\n{\"method\":\"getwork\"}",
			&f) == DET_NO);
	CHECK(det_run_c(&det_getwork, &env0, "POST / HTTP/1.1\r\nContent-Length: 999999\r\n\r\n{",
			&f) == DET_NO);
	CHECK(det_run_c(&det_getwork, &env0, "POST / HTTP/1.1\r\nContent-Length: 20\r\n\r\n"
			"{\"method\":\"getwork\"", &f) == DET_MORE);
	CHECK(det_run_c(&det_getwork, &env0, "POST / HTTP/1.1\r\nContent-Length: 20\r\n\r\n"
			"{\"method\":\"getwork\",", &f) == DET_NO);
	/* submitblock counts only with a whole block in it. */
	CHECK(det_run_c(&det_getwork, &env0,
			post("{\"method\":\"submitblock\",\"params\":[\"00\"],\"id\":\"x\"}\n"),
			&f) == DET_NO);
	n = (size_t)snprintf(block, sizeof(block),
			     "{\"method\":\"submitblock\",\"params\":[\"%0160d\"],\"id\":1}", 0);
	CHECK(n < sizeof(block));
	CHECK(det_run_c(&det_getwork, &env0, post(block), &f) == DET_MATCH);
	CHECK_STR(f.dialect, "getblocktemplate");
	/* Header values with control bytes are masked in the detail. */
	CHECK(det_run_c(&det_getwork, &env0, "GET / HTTP/1.1\r\nX-Mining-Extensions: a\x1b[0m\r\n\r\n",
			&f) == DET_MATCH);
	CHECK_STR(f.detail, "X-Mining-Extensions: a?[0m");
}

int main(void)
{
	test_http_req();
	test_positives();
	test_negatives();
	return UNIT_DONE();
}
