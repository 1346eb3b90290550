/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the WebSocket relay detector. Negatives are real
 * (zeek-http_websocket.pcap, zeek-websocket_broker-websocket.pcap); positives
 * wrap real stratum lines (nesfit-xmr-eu1.nanopool.org) and coinhive's auth
 * message in frames built here, masked as a browser would. */
#include "config.h"

#include <stdio.h>

#include "det_app.h"
#include "det_stream.h"
#include "unit.h"

static const char kaazing_orig[] =
	"GET /echo?.kl=Y HTTP/1.1\r\n"
	"Host: sandbox.kaazing.net\r\n"
	"User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10.12; rv:54.0) Geck"
	"o/20100101 Firefox/54.0\r\n"
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	"\r\n"
	"Accept-Language: en-US,en;q=0.5\r\n"
	"Accept-Encoding: gzip, deflate\r\n"
	"Sec-WebSocket-Version: 13\r\n"
	"Origin: http://kaazing.org\r\n"
	"Sec-WebSocket-Protocol: x-kaazing-handshake\r\n"
	"Sec-WebSocket-Extensions: permessage-deflate\r\n"
	"Sec-WebSocket-Key: vf3bSlxjI9R5oosJfwM/8Q==\r\n"
	"Connection: keep-alive, Upgrade\r\n"
	"Pragma: no-cache\r\n"
	"Cache-Control: no-cache\r\n"
	"Upgrade: websocket\r\n"
	"\r\n"
	"\x81\xfe\x00\x8c\xf0\x12\x0e\x1c\xb7WZ<\xdfwmt\x9f""2FH\xa4""B!-\xde#\x03"
	"\x16\xa7wlO\x9fqey\x84?^n\x9f""fa\x7f\x9f~4<\xfd\x18]y\x93?Yy\x92""Aa\x7f"
	"\x9bwz1\xa0`ah\x9fqap\xca""2\x03\x16\xa3wm1\xa7wlO\x9fqey\x84?Kd\x84w`o"
	"\x99}`o\xca""2v1\x9bsof\x99|i1\x99vby\xdd""fgq\x95}{h\xdcj#w\x91stu\x9e"
	"u#l\x99|i1\x80}`{\xfd\x18\x03\x16\x81\x91\\\xcc\x94\x07\x14\xa9\xf8k3\xe0"
	"\xb4P9\xae\xc7h?\xa7\xf1s}\x88\x80R\x99K\x1f";

static const char kaazing_reply[] =
	"HTTP/1.1 101 Web Socket Protocol Handshake\r\n"
	"Access-Control-Allow-Credentials: true\r\n"
	"Access-Control-Allow-Headers: content-type\r\n"
	"Access-Control-Allow-Headers: authorization\r\n"
	"Access-Control-Allow-Headers: x-websocket-extensions\r\n"
	"Access-Control-Allow-Headers: x-websocket-version\r\n"
	"Access-Control-Allow-Headers: x-websocket-protocol\r\n"
	"Access-Control-Allow-Origin: http://kaazing.org\r\n"
	"Connection: Upgrade\r\n"
	"Date: Thu, 03 Aug 2017 14:37:12 GMT\r\n"
	"Sec-WebSocket-Accept: 0Zl6vr6NCtorAnmvFsy68nbStvE=\r\n"
	"Sec-WebSocket-Protocol: x-kaazing-handshake\r\n"
	"Server: Kaazing Gateway\r\n"
	"Upgrade: websocket\r\n"
	"\r\n"
	"\x82\x04\xef\x83\xbfN\x82~\x02QHTTP/1.1 101 Web Socket Protocol Handsha"
	"ke\r\n"
	"Access-Control-Allow-Credentials: true\r\n"
	"Access-Control-Allow-Head";

static const char broker_orig[] =
	"GET /v1/messages/json HTTP/1.1\r\n"
	"Host: localhost:27599\r\n"
	"Upgrade: websocket\r\n"
	"Connection: Upgrade\r\n"
	"Sec-WebSocket-Key: E58pVwft35HPkD/MFCjtEA==\r\n"
	"Sec-WebSocket-Version: 13\r\n"
	"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
	"User-Agent: Python/3.10 websockets/12.0\r\n"
	"\r\n"
	"\x81\x98~:\xc7\xe3%\x18\xe8\x99\x1b_\xac\xcc\x1bL\xa2\x8d\n"
	"\x15\xaa\x9a!N\xa8\x93\x17Y\xe5\xbe\x81\xfe\x01i\x7fX\x1fo\x04zk\x16\x0f"
	"==U_z{\x0e\x0b""92\x02\x1a+l\x0e\x18==C_zk\x00\x0f""1|MEx=@\x05=z\x04P="
	"i\n"
	"\x11,0\x02\x06\x07k\x00\x0f""1|MSx=/\x1b""9k\x0eR,f\x1f\x1az%O].z\x0c\x0b"
	"7mMSx=\x0b\x1e,~MExD\x14]\x18{\x0e\x0b""92\x1b\x06(zMEx=\x0c\x10-q\x1b]"
	"t?M\x1b""9k\x0e]b?^\x02t?\x14]\x18{\x0e\x0b""92\x1b\x06(zMEx=\x0c\x10-q"
	"\x1b]t?M\x1b""9k\x0e]b?^\x02t?\x14]\x18{\x0e\x0b""92\x1b\x06(zMEx=\x19\x1a"
	";k\x00\rz3O]<~\x1b\x1ez%O$#=/\x1b""9k\x0eR,f\x1f\x1az%O]+k\x1d\x16""6xM"
	"Sx=\x0b\x1e,~MEx=\x1f\x10""6xM\x02t?\x14]\x18{\x0e\x0b""92\x1b\x06(zMEx"
	"=\x19\x1a;k\x00\rz3O]<~\x1b\x1ez%O$#=/\x1b""9k\x0eR,f\x1f\x1az%O]+k\x1d"
	"\x16""6xMSx=\x0b\x1e,~MEx=\x02\x06ur\n"
	"\x0c+~\x08\x1azbC_#=/\x1b""9k\x0eR,f\x1f\x1az%O];p\x1a\x11,=C_z{\x0e\x0b"
	"9=U_ib2\x02\x05""b2\x02\x81\xfe\x01i\x04{U,\x7fY!Ut\x1ew\x16$Y1Mp\x1axA"
	"a\x08&Mc\x1ew\x00$Y!Ct\x12""6\x0e>[w\x03~\x1e""0G+\x1e#Ij\x0fzA}$!Ct\x12"
	"6\x0e([wl`\x1a!M)\x0f,\\aYo\x0c&\r0Op\x14'\x0e([wHe\x0f""4\x0e>[\x0eW&;"
	"1Mp\x1axX}\x0b""0\x0e>[wOk\x0e;X&Wu\x0e`\x1a!M&Au\x1dyWuW&;1Mp\x1axX}\x0b"
	"0\x0e>[wOk\x0e;X&Wu\x0e`\x1a!M&Au\x1dyWuW&;1Mp\x1axX}\x0b""0\x0e>[wZa\x18"
	"!CvYy\x0c&\x1f""4XeYo\x0c_\x00wl`\x1a!M)\x0f,\\aYo\x0c&\x08!^m\x15""2\x0e"
	"([wHe\x0f""4\x0e>[w\\k\x15""2\x0eyWuW&;1Mp\x1axX}\x0b""0\x0e>[wZa\x18!C"
	"vYy\x0c&\x1f""4XeYo\x0c_\x00wl`\x1a!M)\x0f,\\aYo\x0c&\x08!^m\x15""2\x0e"
	"([wHe\x0f""4\x0e>[wA}V8Iw\x08""4KaY(\x00$\x00wl`\x1a!M)\x0f,\\aYo\x0c&\x18"
	":Yj\x0fw\x00$Y1Mp\x1aw\x16$I(qy&(qy\x81\xfe\x01i\xc4\xe0\x11n\xbf\xc2""e"
	"\x17\xb4\x85""3T\xe4\xc2u\x0f\xb0\x81<\x03\xa1\x93""b\x0f\xa3\x85""3B\xe4"
	"\xc2""e\x01\xb4\x89rL\xfe\xc0""3A\xbe\x85t\x05\xeb\x85g\x0b\xaa\x94>\x03"
	"\xbd\xbf""e\x01\xb4\x89rL\xe8\xc0""3.\xa0\x81""e\x0f\xe9\x94h\x1e\xa1\xc2"
	"+N\xe6\x96t\r\xb0\x8f""cL\xe8\xc0""3\n"
	"\xa5\x94pL\xfe\xc0J\x15\xe6\xa0u\x0f\xb0\x81<\x1a\xbd\x90tL\xfe\xc0""3\r"
	"\xab\x95\x7f\x1a\xe6\xcc""1L\xa0\x81""e\x0f\xe6\xda""1_\xb9\xcc""1\x15\xe6"
	"\xa0u\x0f\xb0\x81<\x1a\xbd\x90tL\xfe\xc0""3\r\xab\x95\x7f\x1a\xe6\xcc""1"
	"L\xa0\x81""e\x0f\xe6\xda""1_\xb9\xcc""1\x15\xe6\xa0u\x0f\xb0\x81<\x1a\xbd"
	"\x90tL\xfe\xc0""3\x18\xa1\x83""e\x01\xb6\xc2=N\xe6\x84p\x1a\xa5\xc2+N\x9f"
	"\x9b""3.\xa0\x81""e\x0f\xe9\x94h\x1e\xa1\xc2+N\xe6\x93""e\x1c\xad\x8evL"
	"\xe8\xc0""3\n"
	"\xa5\x94pL\xfe\xc0""3\x1e\xab\x8evL\xb9\xcc""1\x15\xe6\xa0u\x0f\xb0\x81"
	"<\x1a\xbd\x90tL\xfe\xc0""3\x18\xa1\x83""e\x01\xb6\xc2=N\xe6\x84p\x1a\xa5"
	"\xc2+N\x9f\x9b""3.\xa0\x81""e\x0f\xe9\x94h\x1e\xa1\xc2+N\xe6\x93""e\x1c"
	"\xad\x8evL\xe8\xc0""3\n"
	"\xa5\x94pL\xfe\xc0""3\x03\xbd\xcd|\x0b\xb7\x93p\x09\xa1\xc2lB\xe4\x9b""3"
	".\xa0\x81""e\x0f\xe9\x94h\x1e\xa1\xc2+N\xe6\x83~\x1b\xaa\x94""3B\xe4\xc2"
	"u\x0f\xb0\x81""3T\xe4\xd3l3\xb9\xbdl3\xb9\x88\x82\n"
	"\x0f\xe8\x0c\x09\xe7";

static const char broker_reply[] =
	"HTTP/1.1 101 Switching Protocols\r\n"
	"Upgrade: websocket\r\n"
	"Connection: Upgrade\r\n"
	"Sec-WebSocket-Accept: HxOmr1a2nvOOc4Qiv7Ou3wrCsJc=\r\n"
	"\r\n"
	"\x81[{\"type\": \"ack\", \"endpoint\": \"cfc03c41-7983-5fe2-b22e-689410"
	"0e6305\", \"version\": \"2.8.0-dev\"}\x81~\x02\x15{\"type\": \"data-mes"
	"sage\", \"topic\": \"/zeek/event/my_topic\", \"@data-type\": \"vector\""
	", \"data\": [{\"@data-type\": \"count\", \"data\": 1}, {\"@data-type\":"
	" \"count\", \"data\": 1}, {\"@data-type\": \"vector\", \"data\": [{\"@d"
	"ata-type\": \"string\", \"data\": \"ping\"}, {\"@data-type\": \"vector\""
	", \"data\": [{\"@data-type\": \"string\", \"data\": \"my-message\"}, {\""
	"@data-type\": \"count\", \"data\": 1}]}, {\"@data-type\": \"vector\", \""
	"data\": [{\"@data-type\": \"vector\", \"data\": [{\"@data-type\": \"cou"
	"nt\", \"data\": 1}, {\"@data-typ";

static const char upgrade[] =
	"GET /proxy HTTP/1.1\r\nHost: ws.example.net\r\nUpgrade: websocket\r\n"
	"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	"Sec-WebSocket-Version: 13\r\nOrigin: http://example.org\r\n\r\n";
static const char switching[] =
	"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
static const char xmr_login[] =
	"{\"method\": \"login\", \"params\": {\"login\": \"47mr7jYTroxQMwdKoPQuJoc9Vs9S9qCUAL6Ek4q"
	"yNFWJdqgBZRn4RYY2QjQfqEMJZVWPscupSgaqmUn1dpdUTC4fQsu3yjN\", \"pass\": \"x\", \"agent\": "
	"\"xmr/1.0\"}, \"id\": 1}\n";
static const char coinhive_auth[] =
	"{\"type\":\"auth\",\"params\":{\"site_key\":\"QFaSxSyz9nlURBQoVwGWnzeBfJGy1zR1\","
	"\"type\":\"anonymous\",\"user\":null,\"goal\":0}}";
static const char coinhive_job[] =
	"{\"type\":\"job\",\"params\":{\"job_id\":\"x9pNUIWAceXY\",\"blob\":\"0707c5e0dfdc05\","
	"\"target\":\"711b0d00\"}}";

static const struct det_env env0;
static uint8_t cbuf[4096], sbuf[4096];
static size_t clen, slen;

/* Append one frame: op, fin, payload, masked with a fixed key when mask. */
static void frame(uint8_t *buf, size_t *len, int op, int fin, const void *p, size_t n, int mask)
{
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	uint8_t *b = buf + *len;
	size_t h = 2, i;

	b[0] = (uint8_t)((fin ? 0x80 : 0) | op);
	if (n < 126) {
		b[1] = (uint8_t)n;
	} else {
		b[1] = 126;
		b[2] = (uint8_t)(n >> 8);
		b[3] = (uint8_t)n;
		h = 4;
	}
	if (mask) {
		b[1] |= 0x80;
		memcpy(b + h, key, 4);
		h += 4;
	}
	for (i = 0; i < n; i++)
		b[h + i] = ((const uint8_t *)p)[i] ^ (mask ? key[i & 3] : 0);
	*len += h + n;
}

static void reset(void)
{
	clen = strlen(upgrade);
	memcpy(cbuf, upgrade, clen);
	slen = strlen(switching);
	memcpy(sbuf, switching, slen);
}

static enum det_result run(struct det_finding *f)
{
	return det_run(&det_websocket, &env0, cbuf, clen, sbuf, slen, false, false, f);
}

static void test_positives(void)
{
	struct det_finding f;
	size_t i, n;

	reset();
	frame(cbuf, &clen, 1, 1, xmr_login, strlen(xmr_login), 1);
	CHECK(run(&f) == DET_MATCH);
	CHECK_STR(f.dialect, "cryptonote");
	CHECK_STR(f.detail, "login agent=xmr/1.0 (websocket)");
	/* Every cut before the frame's end waits. */
	for (i = 1, n = 0; i < clen; i++)
		if (det_run(&det_websocket, &env0, cbuf, i, sbuf, slen, false, false, &f) != DET_MORE)
			n++;
	CHECK(n == 0);
	/* Without the server's reply yet, the client frame still decides. */
	CHECK(det_run(&det_websocket, &env0, cbuf, clen, NULL, 0, false, false, &f) == DET_MATCH);

	reset();
	frame(cbuf, &clen, 1, 1, coinhive_auth, strlen(coinhive_auth), 1);
	CHECK(run(&f) == DET_MATCH);
	CHECK_STR(f.dialect, "coinhive");
	CHECK_STR(f.detail, "auth site_key=QFaSxSyz9nlURBQoVwGWnzeBfJGy1zR1 (websocket)");

	/* A ping, then the login in three fragments. */
	reset();
	frame(cbuf, &clen, 9, 1, "hi", 2, 1);
	frame(cbuf, &clen, 1, 0, coinhive_auth, 10, 1);
	frame(cbuf, &clen, 0, 0, coinhive_auth + 10, 20, 1);
	CHECK(run(&f) == DET_MORE);
	frame(cbuf, &clen, 0, 1, coinhive_auth + 30, strlen(coinhive_auth) - 30, 1);
	CHECK(run(&f) == DET_MATCH);
	CHECK_STR(f.dialect, "coinhive");

	/* The pool's job pushed to the browser confirms on its own. */
	reset();
	frame(sbuf, &slen, 1, 1, coinhive_job, strlen(coinhive_job), 0);
	CHECK(run(&f) == DET_MATCH);
	CHECK(f.confirmed);
}

static void test_negatives(void)
{
	static const char chat[] = "{\"type\":\"message\",\"params\":{\"room\":\"x\",\"text\":\"login\"}}";
	struct det_finding f;

	CHECK(det_run(&det_websocket, &env0, kaazing_orig, sizeof(kaazing_orig) - 1, kaazing_reply,
		      sizeof(kaazing_reply) - 1, false, false, &f) == DET_NO);
	CHECK(det_run(&det_websocket, &env0, broker_orig, sizeof(broker_orig) - 1, broker_reply,
		      sizeof(broker_reply) - 1, false, false, &f) == DET_NO);
	/* Head only: wait for frames. */
	CHECK(det_run(&det_websocket, &env0, broker_orig, strstr(broker_orig, "\r\n\r\n") + 4 -
		      broker_orig, NULL, 0, false, false, &f) == DET_MORE);
	/* JSON chat: two messages, neither mining. */
	reset();
	frame(cbuf, &clen, 1, 1, chat, strlen(chat), 1);
	CHECK(run(&f) == DET_MORE);
	frame(cbuf, &clen, 1, 1, "{\"id\":1,\"result\":true}", 22, 1);
	CHECK(run(&f) == DET_NO);
	/* An echo of a stratum line: the client must send it, masked. */
	reset();
	frame(cbuf, &clen, 1, 1, xmr_login, strlen(xmr_login), 0);
	CHECK(run(&f) == DET_NO);
	/* Refused upgrade, no Upgrade header, not GET, midstream. */
	reset();
	frame(cbuf, &clen, 1, 1, xmr_login, strlen(xmr_login), 1);
	CHECK(det_run(&det_websocket, &env0, cbuf, clen, "HTTP/1.1 403 Forbidden\r\n\r\n", 26,
		      false, false, &f) == DET_NO);
	CHECK(det_run(&det_websocket, &env0, cbuf, clen, sbuf, slen, true, false, &f) == DET_NO);
	CHECK(det_run_c(&det_websocket, &env0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", &f) == DET_NO);
	CHECK(det_run_c(&det_websocket, &env0, "POST / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", &f) == DET_NO);
	CHECK(det_run_c(&det_websocket, &env0, "{\"method\":\"login\"}", &f) == DET_NO);
	/* Compressed (RSV1) messages are not read; a continuation first is invalid. */
	reset();
	frame(cbuf, &clen, 1, 1, xmr_login, strlen(xmr_login), 1);
	cbuf[strlen(upgrade)] |= 0x40;
	CHECK(run(&f) == DET_MORE);
	reset();
	frame(cbuf, &clen, 0, 1, xmr_login, strlen(xmr_login), 1);
	CHECK(run(&f) == DET_NO);
	/* An unfinished frame in a full buffer. */
	reset();
	frame(cbuf, &clen, 1, 1, xmr_login, strlen(xmr_login), 1);
	CHECK(det_run(&det_websocket, &env0, cbuf, clen - 1, sbuf, slen, false, true, &f) == DET_NO);
}

int main(void)
{
	test_positives();
	test_negatives();
	return UNIT_DONE();
}
