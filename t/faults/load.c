/*
 * load: steady mixed traffic for t/faults/run.sh and scripts/soak.
 *
 *   load URL TOKEN SECONDS CLIENTS OUT [MAX_REQUESTS [RATE]]
 *
 * CLIENTS processes (fork) each send, one after another, two reads
 * (GET /api/v1/tasks?limit=5, GET /health/live) and one create
 * (POST /api/v1/tasks) in turn, as the user of the Bearer TOKEN, until
 * SECONDS have passed, MAX_REQUESTS (all clients together, default
 * 1000000) were sent, or the file OUT.stop exists.  RATE (requests per second, all clients together;
 * 0 = as fast as answers come) paces them.  Each client appends one line
 * per request to OUT.<n>:
 *
 *   END_MS METHOD STATUS PROBLEM LATENCY_US ID
 *
 * END_MS: wall clock (ms since the epoch) when the answer was complete;
 * STATUS: the HTTP status, 0 when no answer came (connection refused or
 * reset, 20 s timeout); PROBLEM: 1 when the answer was
 * application/problem+json; ID: the new task's id for a 201, else "-".
 * Exit status 0, or 1 on a setup error.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

struct body {
	char	 data[8192];
	size_t	 len;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct body	*b = arg;
	size_t		 k = size * n;

	if (k > sizeof(b->data) - 1 - b->len)
		k = sizeof(b->data) - 1 - b->len;
	memcpy(b->data + b->len, p, k);
	b->len += k;
	b->data[b->len] = '\0';
	return size * n;
}

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static double
mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The first "id" member of a JSON object body into id[37]; "-" when absent. */
static void
body_id(const char *body, char id[40])
{
	const char	*p = strstr(body, "\"id\"");

	snprintf(id, 40, "-");
	if (p == NULL)
		return;
	p += 4;
	p += strspn(p, " \t\r\n");
	if (*p++ != ':')
		return;
	p += strspn(p, " \t\r\n");
	if (*p++ != '"' || strlen(p) < 37 || p[36] != '"')
		return;
	snprintf(id, 40, "%.36s", p);
}

static int
client(int n, const char *url, const char *token, double seconds, long max,
    double rate, const char *out)
{
	CURL			*c;
	struct curl_slist	*h = NULL;
	struct body		 b;
	char			 path[512], auth[8192], file[512], stop[512], id[40];
	char			 body[256];
	const char		*method, *ct;
	FILE			*f;
	long			 status, i;
	double			 t0 = mono_s(), next = t0, start;
	int			 problem;

	snprintf(file, sizeof(file), "%s.%d", out, n);
	snprintf(stop, sizeof(stop), "%s.stop", out);
	if ((f = fopen(file, "a")) == NULL || (c = curl_easy_init()) == NULL)
		return 1;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	for (i = 0; i < max && mono_s() - t0 < seconds && access(stop, F_OK) != 0; i++) {
		if (rate > 0) {
			next += 1.0 / rate;
			while ((start = mono_s()) < next) {
				struct timespec ts = { 0, (long)((next - start) * 1e9) };

				nanosleep(&ts, NULL);
			}
		}
		curl_easy_reset(c);
		b.len = 0;
		b.data[0] = '\0';
		switch (i % 3) {
		case 0:
			method = "GET";
			snprintf(path, sizeof(path), "%s/api/v1/tasks?limit=5", url);
			break;
		case 1:
			method = "POST";
			snprintf(path, sizeof(path), "%s/api/v1/tasks", url);
			snprintf(body, sizeof(body), "{\"title\":\"load %d-%ld-%lld\"}",
			    n, i, now_ms());
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
			break;
		default:
			method = "GET";
			snprintf(path, sizeof(path), "%s/health/live", url);
			break;
		}
		curl_easy_setopt(c, CURLOPT_URL, path);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		start = mono_s();
		status = 0;
		problem = 0;
		if (curl_easy_perform(c) == CURLE_OK) {
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
			ct = NULL;
			curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
			problem = ct != NULL && strncmp(ct, "application/problem+json", 24) == 0;
		}
		body_id(b.data, id);
		fprintf(f, "%lld %s %ld %d %ld %s\n", now_ms(), method, status, problem,
		    (long)((mono_s() - start) * 1e6), status == 201 ? id : "-");
		fflush(f);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	int	 clients, i, st, rc = 0;
	long	 max = 1000000;
	double	 rate = 0;
	pid_t	 pid;

	if (argc < 6) {
		fprintf(stderr, "usage: load URL TOKEN SECONDS CLIENTS OUT [MAX [RATE]]\n");
		return 1;
	}
	clients = atoi(argv[4]);
	if (clients < 1 || clients > 64)
		return 1;
	if (argc > 6)
		max = atol(argv[6]);
	if (argc > 7)
		rate = atof(argv[7]);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	for (i = 0; i < clients; i++) {
		if ((pid = fork()) < 0)
			return 1;
		if (pid == 0)
			_exit(client(i, argv[1], argv[2], atof(argv[3]),
			    (max + clients - 1) / clients, rate / clients, argv[5]));
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			rc = 1;
	curl_global_cleanup();
	return rc;
}
