#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "jobs/deliver.h"

int
deliver_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
deliver_global_cleanup(void)
{
	curl_global_cleanup();
}

int
deliver_sign(const char *key, long long t, const char *body, size_t len,
    char out[DELIVER_SIG_MAX])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen = 0;
	char			 ts[32];
	EVP_MAC			*m = NULL;
	EVP_MAC_CTX		*c = NULL;
	OSSL_PARAM		 params[2];
	size_t			 n = 0;
	int			 tl, off, rc = -1;

	tl = snprintf(ts, sizeof(ts), "%lld.", t);
	if ((m = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (c = EVP_MAC_CTX_new(m)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(c, (const unsigned char *)key, strlen(key), params) ||
	    !EVP_MAC_update(c, (const unsigned char *)ts, (size_t)tl) ||
	    !EVP_MAC_update(c, (const unsigned char *)body, len) ||
	    !EVP_MAC_final(c, mac, &n, sizeof(mac)))
		goto out;
	maclen = (unsigned int)n;
	off = snprintf(out, DELIVER_SIG_MAX, "t=%lld,v1=", t);
	if (off < 0 || (size_t)off + 2 * maclen + 1 > DELIVER_SIG_MAX)
		goto out;
	for (unsigned int i = 0; i < maclen; i++) {
		out[off++] = hex[mac[i] >> 4];
		out[off++] = hex[mac[i] & 15];
	}
	out[off] = '\0';
	rc = 0;
out:
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	return rc;
}

static bool
v4_blocked(uint32_t a)
{
	/* a in host order; (network, prefix length) pairs */
	static const struct { uint32_t net; int len; } nets[] = {
		{ 0x00000000, 8 },	/* "this network" */
		{ 0x0a000000, 8 },	/* RFC 1918 */
		{ 0x64400000, 10 },	/* CGNAT */
		{ 0x7f000000, 8 },	/* loopback */
		{ 0xa9fe0000, 16 },	/* link-local (cloud metadata) */
		{ 0xac100000, 12 },	/* RFC 1918 */
		{ 0xc0000000, 24 },	/* IETF protocol assignments */
		{ 0xc0000200, 24 },	/* TEST-NET-1 */
		{ 0xc0a80000, 16 },	/* RFC 1918 */
		{ 0xc6120000, 15 },	/* benchmarking */
		{ 0xc6336400, 24 },	/* TEST-NET-2 */
		{ 0xcb007100, 24 },	/* TEST-NET-3 */
		{ 0xe0000000, 4 },	/* multicast */
		{ 0xf0000000, 4 },	/* reserved, broadcast */
	};

	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		uint32_t mask = nets[i].len == 0 ? 0 : 0xffffffffu << (32 - nets[i].len);

		if ((a & mask) == nets[i].net)
			return true;
	}
	return false;
}

bool
deliver_addr_blocked(const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;
	const uint8_t			*b;
	static const uint8_t		 nat64[12] = { 0, 0x64, 0xff, 0x9b };

	if (sa == NULL)
		return true;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(*s4)) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		return v4_blocked(ntohl(s4->sin_addr.s_addr));
	}
	if (sa->sa_family != AF_INET6 || len < (socklen_t)sizeof(*s6))
		return true;		/* unix sockets and the unknown: never */
	s6 = (const struct sockaddr_in6 *)(const void *)sa;
	b = s6->sin6_addr.s6_addr;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) || IN6_IS_ADDR_V4COMPAT(&s6->sin6_addr) ||
	    memcmp(b, nat64, 12) == 0)
		return v4_blocked((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
		    (uint32_t)b[14] << 8 | b[15]);
	if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr) || IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return true;
	return (b[0] & 0xfe) == 0xfc ||			/* unique local fc00::/7 */
	    (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||	/* link-local fe80::/10 */
	    (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) ||	/* site-local fec0::/10 */
	    b[0] == 0xff ||				/* multicast */
	    (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) || /* doc */
	    (b[0] == 0x01 && b[1] == 0 && b[2] == 0 && b[3] == 0 &&
	     b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 0);	/* discard 100::/64 */
}

struct guard {
	bool	allow_private;
	bool	refused;
	char	addr[INET6_ADDRSTRLEN];
};

/*
 * curl calls this for every socket it wants, with the address it will
 * connect to (after resolving): the one place the refusal is decided.
 */
static curl_socket_t
open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct guard	*g = clientp;
	const void	*ip = NULL;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	if (!g->allow_private && deliver_addr_blocked(&a->addr, a->addrlen)) {
		g->refused = true;
		if (a->family == AF_INET)
			ip = &((const struct sockaddr_in *)(const void *)&a->addr)->sin_addr;
		else if (a->family == AF_INET6)
			ip = &((const struct sockaddr_in6 *)(const void *)&a->addr)->sin6_addr;
		if (ip == NULL || inet_ntop(a->family, ip, g->addr, sizeof(g->addr)) == NULL)
			snprintf(g->addr, sizeof(g->addr), "?");
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

/* The response body is not kept: only its status counts. */
static size_t
discard(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

int
deliver_post(const char *url, const char *event, const char *delivery_id,
    const char *body, const char *signature, bool allow_private,
    struct deliver_result *res)
{
	struct guard		 g = { allow_private, false, "" };
	struct curl_slist	*h = NULL, *t;
	struct timespec		 t0, t1;
	char			 line[256];
	CURL			*c;
	CURLcode		 cc;
	int			 rc = -1;

	memset(res, 0, sizeof(*res));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((c = curl_easy_init()) == NULL) {
		snprintf(res->error, sizeof(res->error), "curl_easy_init failed");
		return -1;
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	snprintf(line, sizeof(line), "X-Taskman-Event: %s", event);
	h = (t = curl_slist_append(h, line)) ? t : h;
	snprintf(line, sizeof(line), "X-Taskman-Delivery: %s", delivery_id);
	h = (t = curl_slist_append(h, line)) ? t : h;
	snprintf(line, sizeof(line), "X-Taskman-Signature: %s", signature);
	h = (t = curl_slist_append(h, line)) ? t : h;
	h = (t = curl_slist_append(h, "User-Agent: taskman-jobs/1")) ? t : h;
	/* no "Expect: 100-continue" round trip for bigger bodies */
	h = (t = curl_slist_append(h, "Expect:")) ? t : h;
	if (h == NULL ||
	    curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROXY, "") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)DELIVER_TIMEOUT_MS) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body)) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &g) != CURLE_OK) {
		snprintf(res->error, sizeof(res->error), "could not set up the request");
		goto out;
	}
	cc = curl_easy_perform(c);
	rc = 0;
	/* a name with several addresses: curl may have moved on to an allowed one */
	if (cc != CURLE_OK && g.refused) {
		res->refused = true;
		snprintf(res->error, sizeof(res->error),
		    "target address %s is loopback, private, link-local or multicast "
		    "(not allowed)", g.addr);
	} else if (cc != CURLE_OK) {
		snprintf(res->error, sizeof(res->error), "%s", curl_easy_strerror(cc));
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
		res->ok = res->status >= 200 && res->status < 300;
		if (!res->ok)
			snprintf(res->error, sizeof(res->error), "HTTP %ld", res->status);
	}
out:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->duration_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc;
}

long long
deliver_window_ms(double scale)
{
	return (long long)(3.0 * 24 * 3600 * 1000 * scale);
}

long long
deliver_backoff_ms(int attempts, long long age_ms, double scale)
{
	static const long long steps_s[] = { 60, 300, 1800, 7200, 21600 };
	int		 n = (int)(sizeof(steps_s) / sizeof(steps_s[0]));
	long long	 d;

	if (attempts < 1)
		attempts = 1;
	d = (long long)((double)steps_s[attempts > n ? n - 1 : attempts - 1] * 1000 * scale);
	if (d < 1)
		d = 1;
	return age_ms + d > deliver_window_ms(scale) ? -1 : d;
}
