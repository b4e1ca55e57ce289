#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "auth/password.h"
#include "auth/throttle.h"
#include "auth/tokens.h"
#include "http.h"

void
throttle_client_net(const char *addr, char *out, size_t outlen)
{
	struct in6_addr	 a6;
	char		 txt[INET6_ADDRSTRLEN];
	static const unsigned char v4mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (addr == NULL || inet_pton(AF_INET6, addr, &a6) != 1) {
		snprintf(out, outlen, "%.*s", THROTTLE_NET_MAX - 1, addr ? addr : "");
		return;
	}
	if (memcmp(a6.s6_addr, v4mapped, sizeof(v4mapped)) == 0 &&
	    inet_ntop(AF_INET, a6.s6_addr + 12, txt, sizeof(txt)) != NULL) {
		snprintf(out, outlen, "%s", txt);
		return;
	}
	/* one subscriber usually gets a whole /64: it is one client */
	memset(a6.s6_addr + 8, 0, 8);
	if (inet_ntop(AF_INET6, &a6, txt, sizeof(txt)) == NULL)
		txt[0] = '\0';
	snprintf(out, outlen, "%s/64", txt);
}

static int
busy(struct req *r)
{
	http_header(r, "Retry-After", "1");
	return http_problem(r, 503, "too many passwords are being checked right now; "
	    "try again in a second");
}

int
throttle_candidate(struct req *r, const char *settings, int hash_len,
    const char *pw, size_t len, char *out, size_t outlen)
{
	struct app	*a = r->app;
	char		 dummy[PASSWORD_HASH_MAX], *cut;
	int		 rc = -1;

	snprintf(dummy, sizeof(dummy), "%s", a->tokens->dummy_hash);
	if ((cut = strrchr(dummy, '$')) != NULL)
		*cut = '\0';
	if (!metrics_hash_enter(a->metrics, a->mslot, a->cfg->hash_concurrency))
		return busy(r);
	if (settings != NULL)
		rc = password_candidate(settings, hash_len, pw, len, out, outlen);
	/* no account, or a hash this build cannot compute: the same work, no match */
	if (rc != 0 && (rc = password_candidate(dummy, 32, pw, len, out, outlen)) == 0)
		out[0] = '\0';
	metrics_hash_leave(a->mslot);
	if (rc != 0)
		return http_problem(r, 500, "could not verify the password");
	return 0;
}

int
throttle_hash(struct req *r, const char *pw, size_t len, char *out, size_t outlen)
{
	struct app	*a = r->app;
	int		 rc;

	if (!metrics_hash_enter(a->metrics, a->mslot, a->cfg->hash_concurrency))
		return busy(r);
	rc = password_hash(&a->tokens->pp, pw, len, out, outlen);
	metrics_hash_leave(a->mslot);
	if (rc != 0)
		return http_problem(r, 500, "could not hash the password");
	return 0;
}

bool
throttle_try_hash(struct req *r, const char *pw, size_t len, char *out, size_t outlen)
{
	struct app	*a = r->app;
	int		 rc;

	if (!metrics_hash_enter(a->metrics, a->mslot, a->cfg->hash_concurrency))
		return false;
	rc = password_hash(&a->tokens->pp, pw, len, out, outlen);
	metrics_hash_leave(a->mslot);
	return rc == 0;
}
