/*
 * Webhooks and e-mail over real HTTP and SMTP (API.md section 9): a
 * receiving HTTP server and an SMTP sink of our own on free loopback
 * ports (threads of this test process), and a taskman-jobs of our own per
 * test (the stack's is stopped meanwhile and started again afterwards),
 * so each test chooses its switches and may SIGKILL it.
 *
 * Proven here: every event type we emit arrives once with a valid
 * signature and the documented headers; a receiver failing 3 times gets
 * the same delivery id 4 times; a rolled-back write sends nothing; a
 * runner SIGKILLed mid-delivery and restarted delivers everything; a
 * private-address target is refused when not allowed; mails arrive once
 * each, with Date and Message-ID and no header from user text; the
 * notify_email opt-out; a PostgreSQL restart is survived; SIGTERM exits 0;
 * the runner's metrics appear in GET /metrics (the metrics listener); the webhook API's rules.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "plan_util.h"

/* ------------------------------------------------------------------ */
/* The receiver: one thread, one connection at a time */

#define RX_MAX		256

struct rx_hit {
	char	 path[64];
	char	 event[64];
	char	 delivery[64];
	char	 sig[160];
	char	*body;
	int	 answered;	/* status sent back */
};

static struct {
	pthread_mutex_t	 mu;
	int		 fd;
	int		 port;
	struct rx_hit	 hits[RX_MAX];
	int		 n;
	int		 slow_ms;	/* /slow: first request of each id waits this long */
	int		 started;	/* requests read (answered or not yet) */
} rx = { PTHREAD_MUTEX_INITIALIZER, -1, 0, { { "", "", "", "", NULL, 0 } }, 0, 0, 0 };

static int
listen_any(int *port)
{
	struct sockaddr_in	a;
	socklen_t		len = sizeof(a);
	int			fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	cr_assert(listen(fd, 64) == 0);
	cr_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void
hdr_copy(const char *head, const char *name, char *dst, size_t len)
{
	const char	*p = head;
	size_t		 nl = strlen(name), k;

	dst[0] = '\0';
	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ')
				p++;
			k = strcspn(p, "\r\n");
			if (k >= len)
				k = len - 1;
			memcpy(dst, p, k);
			dst[k] = '\0';
			return;
		}
	}
}

/* how many requests so far carried this delivery id (caller holds mu) */
static int
rx_seen(const char *id)
{
	int n = 0;

	for (int i = 0; i < rx.n; i++)
		n += strcmp(rx.hits[i].delivery, id) == 0;
	return n;
}

static void *
rx_main(void *arg)
{
	(void)arg;
	for (;;) {
		char		 buf[65536], cl[32], reply[128];
		struct rx_hit	 h;
		ssize_t		 k;
		size_t		 got = 0, hl, blen;
		char		*end;
		int		 c, status = 200, seen, slow = 0;

		if ((c = accept(rx.fd, NULL, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		memset(&h, 0, sizeof(h));
		while (got < sizeof(buf) - 1 && (k = recv(c, buf + got, sizeof(buf) - 1 - got, 0)) > 0) {
			got += (size_t)k;
			buf[got] = '\0';
			if ((end = strstr(buf, "\r\n\r\n")) != NULL) {
				hl = (size_t)(end - buf) + 4;
				hdr_copy(buf, "Content-Length", cl, sizeof(cl));
				blen = (size_t)atol(cl);
				if (got >= hl + blen)
					break;
			}
		}
		if ((end = strstr(buf, "\r\n\r\n")) == NULL) {
			close(c);
			continue;
		}
		*end = '\0';
		sscanf(buf, "%*s %63s", h.path);
		hdr_copy(buf, "X-Taskman-Event", h.event, sizeof(h.event));
		hdr_copy(buf, "X-Taskman-Delivery", h.delivery, sizeof(h.delivery));
		hdr_copy(buf, "X-Taskman-Signature", h.sig, sizeof(h.sig));
		h.body = strdup(end + 4);
		pthread_mutex_lock(&rx.mu);
		rx.started++;
		seen = rx_seen(h.delivery);
		if (strncmp(h.path, "/fail3", 6) == 0 && seen < 3)
			status = 500;
		if (strncmp(h.path, "/down", 5) == 0)
			status = 503;
		if (strncmp(h.path, "/slow", 5) == 0 && seen == 0)
			slow = rx.slow_ms;
		pthread_mutex_unlock(&rx.mu);
		if (slow > 0)
			usleep((useconds_t)slow * 1000);
		h.answered = status;
		snprintf(reply, sizeof(reply), "HTTP/1.1 %d X\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n", status);
		/* the runner may be gone (SIGKILL): then this "answer" is lost */
		if (send(c, reply, strlen(reply), MSG_NOSIGNAL) < 0)
			h.answered = -1;
		close(c);
		pthread_mutex_lock(&rx.mu);
		if (rx.n < RX_MAX)
			rx.hits[rx.n++] = h;
		else
			free(h.body);
		pthread_mutex_unlock(&rx.mu);
	}
}

/* ------------------------------------------------------------------ */
/* The SMTP sink: enough of RFC 5321 for libcurl */

#define MX_MAX	64

static struct {
	pthread_mutex_t	 mu;
	int		 fd;
	int		 port;
	char		*rcpt[MX_MAX];
	char		*data[MX_MAX];
	int		 n;
} mx = { PTHREAD_MUTEX_INITIALIZER, -1, 0, { NULL }, { NULL }, 0 };

static int
mx_line(int c, char *buf, size_t len)
{
	size_t n = 0;
	char ch;

	while (n < len - 1 && recv(c, &ch, 1, 0) == 1) {
		buf[n++] = ch;
		if (ch == '\n')
			break;
	}
	buf[n] = '\0';
	return (int)n;
}

static void
mx_say(int c, const char *s)
{
	(void)send(c, s, strlen(s), MSG_NOSIGNAL);
}

static void *
mx_main(void *arg)
{
	(void)arg;
	for (;;) {
		char	 line[2048], rcpt[300] = "";
		char	*data = NULL;
		size_t	 dlen = 0;
		int	 c;

		if ((c = accept(mx.fd, NULL, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		mx_say(c, "220 sink ESMTP\r\n");
		while (mx_line(c, line, sizeof(line)) > 0) {
			if (strncasecmp(line, "EHLO", 4) == 0)
				mx_say(c, "250-sink\r\n250 8BITMIME\r\n");
			else if (strncasecmp(line, "HELO", 4) == 0 ||
			    strncasecmp(line, "MAIL FROM", 9) == 0 || strncasecmp(line, "RSET", 4) == 0)
				mx_say(c, "250 ok\r\n");
			else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
				snprintf(rcpt, sizeof(rcpt), "%.*s", (int)strcspn(line + 8, "\r\n"),
				    line + 8);
				mx_say(c, "250 ok\r\n");
			} else if (strncasecmp(line, "DATA", 4) == 0) {
				mx_say(c, "354 go\r\n");
				while (mx_line(c, line, sizeof(line)) > 0 && strcmp(line, ".\r\n") != 0) {
					data = realloc(data, dlen + strlen(line) + 1);
					memcpy(data + dlen, line, strlen(line) + 1);
					dlen += strlen(line);
				}
				pthread_mutex_lock(&mx.mu);
				if (mx.n < MX_MAX) {
					mx.rcpt[mx.n] = strdup(rcpt);
					mx.data[mx.n++] = data ? data : strdup("");
				} else
					free(data);
				pthread_mutex_unlock(&mx.mu);
				data = NULL;
				dlen = 0;
				mx_say(c, "250 queued\r\n");
			} else if (strncasecmp(line, "QUIT", 4) == 0) {
				mx_say(c, "221 bye\r\n");
				break;
			} else
				mx_say(c, "250 ok\r\n");
		}
		free(data);
		close(c);
	}
}

/* ------------------------------------------------------------------ */
/* Our own taskman-jobs */

static pid_t jobs_pid = -1;

static const char *
metrics_file(void)
{
	static char	 path[1024];
	char		 f[1024], line[1200];
	FILE		*fp;

	snprintf(f, sizeof(f), "%s/stack.env", getenv("TASKMAN_STACK_DIR") ?
	    getenv("TASKMAN_STACK_DIR") : ".");
	path[0] = '\0';
	if ((fp = fopen(f, "r")) == NULL)
		return NULL;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "STACK_METRICS_FILE=", 19) == 0) {
			snprintf(path, sizeof(path), "%.*s", (int)strcspn(line + 19, "\n"), line + 19);
			break;
		}
	fclose(fp);
	return path[0] ? path : NULL;
}

static const char *backoff_scale = "0.001";

/* Starts taskman-jobs with the test switches; allow_private as given. */
static void
jobs_start(bool allow_private)
{
	char	 bin[1024], smtp[64];
	const char *bindir = getenv("TASKMAN_BIN");

	cr_assert_not_null(bindir, "TASKMAN_BIN is not set");
	cr_assert_not_null(getenv("TASKMAN_JOBS_DATABASE_URL"),
	    "TASKMAN_JOBS_DATABASE_URL is not set");
	snprintf(bin, sizeof(bin), "%s/taskman-jobs", bindir);
	snprintf(smtp, sizeof(smtp), "smtp://127.0.0.1:%d", mx.port);
	jobs_pid = fork();
	cr_assert(jobs_pid >= 0);
	if (jobs_pid == 0) {
		const char *mf = metrics_file();

		/* dies with this test process, even when criterion kills it */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		setenv("TASKMAN_WEBHOOK_ALLOW_PRIVATE", allow_private ? "true" : "false", 1);
		setenv("TASKMAN_JOBS_BACKOFF_SCALE", backoff_scale, 1);
		setenv("TASKMAN_JOBS_POLL_MS", "300", 1);
		setenv("TASKMAN_JOBS_SCHEDULE_MS", "300", 1);
		setenv("TASKMAN_SMTP_URL", smtp, 1);
		setenv("TASKMAN_SMTP_FROM", "taskman tests <noreply@taskman.test>", 1);
		setenv("TASKMAN_MAIL_DIGEST_HOUR", "0", 1);
		if (mf != NULL)
			setenv("TASKMAN_METRICS_FILE", mf, 1);
		setenv("TASKMAN_LOG_LEVEL", "info", 1);
		/* its log joins the stack's jobs log (the sanitizer run scans it) */
		snprintf(bin, sizeof(bin), "%s/log/jobs.log", getenv("TASKMAN_STACK_DIR") ?
		    getenv("TASKMAN_STACK_DIR") : "/tmp");
		if (freopen(bin, "a", stderr) == NULL)
			_exit(126);
		snprintf(bin, sizeof(bin), "%s/taskman-jobs", bindir);
		execl(bin, bin, (char *)NULL);
		_exit(127);
	}
}

/* SIGTERM (or sig) and wait; returns the exit status (-1: by a signal). */
static int
jobs_stop(int sig)
{
	int st = 0;

	if (jobs_pid <= 0)
		return 0;
	kill(jobs_pid, sig);
	waitpid(jobs_pid, &st, 0);
	jobs_pid = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static pthread_t rx_thread, mx_thread;
static struct pu_user me;

static void
setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	rx.fd = listen_any(&rx.port);
	mx.fd = listen_any(&mx.port);
	rx.slow_ms = 0;
	cr_assert(pthread_create(&rx_thread, NULL, rx_main, NULL) == 0);
	cr_assert(pthread_create(&mx_thread, NULL, mx_main, NULL) == 0);
	(void)h_stack("jobs-stop");
	pu_user_fresh(&me, NULL);
}

static void
teardown(void)
{
	char dummy[8];

	jobs_stop(SIGTERM);
	pu_sql(dummy, sizeof(dummy), "WITH d AS (DELETE FROM webhooks "
	    "WHERE owner_id = '%s' RETURNING 1) SELECT count(*) FROM d", me.id);
	(void)h_stack("jobs-start");
}

TestSuite(webhooks, .init = setup, .fini = teardown, .timeout = 120);

/* ------------------------------------------------------------------ */
/* Helpers */

static void
webhook(const char *path, const char *events, char id[40], char secret[80])
{
	struct resp	r;
	char		body[512];

	snprintf(body, sizeof(body), "{\"url\":\"http://127.0.0.1:%d%s\",\"events\":%s}",
	    rx.port, path, events);
	pu_call(&r, &me, "POST", "/api/v1/webhooks", body, NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	snprintf(id, 40, "%s", pu_str(r.json, "id"));
	snprintf(secret, 80, "%s", pu_str(r.json, "secret"));
	cr_assert_eq(strlen(secret), 64);
	resp_free(&r);
}

/* Requests received for path prefix with event (NULL: any), 2xx answered or all. */
static int
rx_count(const char *path, const char *event, bool answered_ok)
{
	int n = 0;

	pthread_mutex_lock(&rx.mu);
	for (int i = 0; i < rx.n; i++)
		if (strncmp(rx.hits[i].path, path, strlen(path)) == 0 &&
		    (event == NULL || strcmp(rx.hits[i].event, event) == 0) &&
		    (!answered_ok || rx.hits[i].answered == 200))
			n++;
	pthread_mutex_unlock(&rx.mu);
	return n;
}

static bool
wait_rx(const char *path, const char *event, int want, int seconds)
{
	for (int i = 0; i < seconds * 20; i++) {
		if (rx_count(path, event, true) >= want)
			return true;
		usleep(50000);
	}
	return false;
}

/* Checks the signature header of hit h against secret (and its freshness). */
static void
check_signature(const struct rx_hit *h, const char *secret)
{
	unsigned char	 mac[32];
	unsigned int	 maclen = 0;
	char		 hex[65], *msg;
	long long	 t = 0;
	const char	*v1;
	size_t		 n;

	cr_assert(sscanf(h->sig, "t=%lld,", &t) == 1, "bad signature header %s", h->sig);
	cr_expect(llabs((long long)time(NULL) - t) < 300, "t is not fresh: %lld", t);
	cr_assert_not_null(v1 = strstr(h->sig, ",v1="));
	n = strlen(h->body) + 32;
	msg = malloc(n);
	snprintf(msg, n, "%lld.%s", t, h->body);
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg, strlen(msg),
	    mac, &maclen);
	for (unsigned i = 0; i < maclen; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	cr_expect_str_eq(v1 + 4, hex, "signature of delivery %s", h->delivery);
	free(msg);
}

static void
task(const char *title, const char *extra, char id[40])
{
	char body[512];

	snprintf(body, sizeof(body), "{\"title\":\"%s\"%s%s}", title, extra ? "," : "",
	    extra ? extra : "");
	pu_create(&me, "/api/v1/tasks", body, id);
}

static void
call_ok(const char *method, const char *path, const char *body, long want)
{
	struct resp r;

	pu_call(&r, &me, method, path, body, NULL, NULL);
	cr_assert_eq(r.status, want, "%s %s: %ld %s", method, path, r.status, r.body);
	resp_free(&r);
}

/* ------------------------------------------------------------------ */
/* Deliveries */

Test(webhooks, every_event_arrives_once_signed_with_headers)
{
	static const struct { const char *event; int n; } want[] = {
		{ "ping", 1 }, { "task.created", 1 }, { "task.due_soon", 1 },
		{ "task.updated", 2 }, { "task.status_changed", 1 }, { "task.deleted", 1 },
		{ "project.updated", 1 }, { "project.deleted", 1 },
	};
	char		 wid[40], secret[80], pid[40], tid[40], path[128], body[256], due[40];
	json_object	*b, *v;
	struct resp	 r;
	int		 total = 0;

	jobs_start(true);
	webhook("/ok", "[\"*\"]", wid, secret);
	snprintf(path, sizeof(path), "/api/v1/webhooks/%s/ping", wid);
	call_ok("POST", path, NULL, 202);

	pu_create(&me, "/api/v1/projects", "{\"name\":\"Hooked\"}", pid);
	pu_sql(due, sizeof(due), "SELECT to_char((now() + interval '2 hours') AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
	snprintf(body, sizeof(body), "\"project_id\":\"%s\",\"due_at\":\"%s\"", pid, due);
	task("soon", body, tid);
	cr_assert(wait_rx("/ok", "task.due_soon", 1, 20), "no task.due_soon");

	snprintf(path, sizeof(path), "/api/v1/tasks/%s", tid);
	call_ok("PATCH", path, "{\"title\":\"renamed\"}", 200);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/status", tid);
	call_ok("POST", path, "{\"status\":\"in_progress\"}", 200);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s", tid);
	call_ok("DELETE", path, NULL, 204);
	snprintf(path, sizeof(path), "/api/v1/projects/%s", pid);
	call_ok("PATCH", path, "{\"name\":\"Renamed\"}", 200);
	call_ok("DELETE", path, NULL, 204);

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		total += want[i].n;
	cr_assert(wait_rx("/ok", NULL, total, 20), "only %d of %d deliveries arrived",
	    rx_count("/ok", NULL, true), total);
	usleep(1500 * 1000);		/* time for a duplicate to show up */
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect_eq(rx_count("/ok", want[i].event, false), want[i].n,
		    "%s arrived %d times, expected %d", want[i].event,
		    rx_count("/ok", want[i].event, false), want[i].n);
	cr_expect_eq(rx_count("/ok", NULL, false), total);

	pthread_mutex_lock(&rx.mu);
	for (int i = 0; i < rx.n; i++) {
		const struct rx_hit *h = &rx.hits[i];

		if (strncmp(h->path, "/ok", 3) != 0)
			continue;
		check_signature(h, secret);
		cr_assert_not_null(b = json_tokener_parse(h->body), "body %s", h->body);
		cr_expect_str_eq(pu_str(b, "id"), h->delivery);
		cr_expect_str_eq(pu_str(b, "event"), h->event);
		cr_expect_not_null(pu_str(b, "occurred_at"));
		cr_expect(json_object_object_get_ex(b, "data", &v) && v != NULL);
		cr_expect(json_object_object_get_ex(b, "changes", &v) &&
		    json_object_is_type(v, json_type_object));
		if (strcmp(h->event, "ping") != 0 && strcmp(h->event, "task.due_soon") != 0)
			cr_expect_str_eq(pu_str(pu_get(b, "actor"), "id"), me.id, "%s", h->event);
		if (strcmp(h->event, "task.status_changed") == 0)
			cr_expect_str_eq(json_object_to_json_string(pu_get(pu_get(b, "changes"),
			    "status")), "[ \"new\", \"in_progress\" ]");
		if (strcmp(h->event, "task.updated") == 0 &&
		    json_object_object_get_ex(pu_get(b, "changes"), "title", &v))
			cr_expect_str_eq(json_object_to_json_string(v), "[ \"soon\", \"renamed\" ]");
		json_object_put(b);
	}
	pthread_mutex_unlock(&rx.mu);

	/* the delivery log agrees: all delivered at the first attempt */
	snprintf(path, sizeof(path), "/api/v1/webhooks/%s/deliveries", wid);
	pu_call(&r, &me, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200);
	v = pu_get(r.json, "items");
	cr_assert_eq((int)json_object_array_length(v), total);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *d = json_object_array_get_idx(v, i);

		cr_expect_str_eq(pu_str(d, "status"), "delivered");
		cr_expect_eq(pu_int(d, "attempts"), 1);
		cr_expect_eq(pu_int(d, "last_status_code"), 200);
	}
	resp_free(&r);
	cr_expect_eq(jobs_stop(SIGTERM), 0, "SIGTERM: taskman-jobs did not exit 0");
}

Test(webhooks, failing_receiver_gets_the_same_delivery_id)
{
	char		 wid[40], secret[80], tid[40], path[128], did[64] = "";
	struct resp	 r;
	json_object	*d;
	int		 n = 0;

	jobs_start(true);
	webhook("/fail3", "[\"task.created\"]", wid, secret);
	task("flaky", NULL, tid);
	cr_assert(wait_rx("/fail3", "task.created", 1, 30), "never succeeded");
	pthread_mutex_lock(&rx.mu);
	for (int i = 0; i < rx.n; i++) {
		if (strncmp(rx.hits[i].path, "/fail3", 6) != 0)
			continue;
		if (did[0] == '\0')
			snprintf(did, sizeof(did), "%s", rx.hits[i].delivery);
		cr_expect_str_eq(rx.hits[i].delivery, did, "attempt %d", n + 1);
		cr_expect_eq(rx.hits[i].answered, n < 3 ? 500 : 200);
		check_signature(&rx.hits[i], secret);
		n++;
	}
	pthread_mutex_unlock(&rx.mu);
	cr_expect_eq(n, 4, "%d attempts", n);

	snprintf(path, sizeof(path), "/api/v1/webhooks/%s/deliveries", wid);
	pu_call(&r, &me, "GET", path, NULL, NULL, NULL);
	d = json_object_array_get_idx(pu_get(r.json, "items"), 0);
	cr_assert_not_null(d);
	cr_expect_str_eq(pu_str(d, "id"), did);
	cr_expect_str_eq(pu_str(d, "status"), "delivered");
	cr_expect_eq(pu_int(d, "attempts"), 4);
	resp_free(&r);

	/* redeliver: the same id once more */
	snprintf(path, sizeof(path), "/api/v1/webhooks/%s/deliveries/%s/redeliver", wid, did);
	call_ok("POST", path, NULL, 202);
	cr_assert(wait_rx("/fail3", "task.created", 2, 20), "redelivery did not arrive");
	pthread_mutex_lock(&rx.mu);
	cr_expect_str_eq(rx.hits[rx.n - 1].delivery, did);
	pthread_mutex_unlock(&rx.mu);
}

Test(webhooks, three_days_of_failures_deactivate_the_webhook)
{
	char	 wid[40], secret[80], tid[40], buf[600], path[128];
	struct resp r;
	int	 i;

	/*
	 * 3 days = 26 s; 1 min = 6 ms.  An exhausted schedule deactivates the
	 * webhook only when the failures began within the first tenth of the
	 * window after the event (2.6 s here): the runner's claim latency on
	 * a slow build (-O0 coverage, sanitizers) must fit in it, which 0.26 s
	 * (scale 0.00001) did not always.
	 */
	backoff_scale = "0.0001";
	jobs_start(true);
	webhook("/down", "[\"task.created\"]", wid, secret);
	task("never acknowledged", NULL, tid);
	task("queued behind it", NULL, tid);
	for (i = 0; i < 500; i++) {
		pu_sql(buf, sizeof(buf), "SELECT active FROM webhooks WHERE id = '%s'", wid);
		if (strcmp(buf, "f") == 0)
			break;
		usleep(100000);
	}
	cr_assert_str_eq(buf, "f", "still active after 50 s");
	snprintf(path, sizeof(path), "/api/v1/webhooks/%s", wid);
	pu_call(&r, &me, "GET", path, NULL, NULL, NULL);
	cr_expect(json_object_get_boolean(pu_get(r.json, "active")) == 0);
	cr_expect(pu_str(r.json, "disabled_reason") != NULL &&
	    strstr(pu_str(r.json, "disabled_reason"), "HTTP 503") != NULL, "%s", r.body);
	resp_free(&r);
	pu_sql(buf, sizeof(buf), "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = '%s' "
	    "AND status = 'pending'", wid);
	cr_expect_str_eq(buf, "0", "pending deliveries of a deactivated webhook");
	cr_expect_geq(rx_count("/down", NULL, false), 3);

	/* turned on again by its owner: the reason is gone */
	pu_call(&r, &me, "PATCH", path, "{\"active\":true}", NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect(pu_isnull(r.json, "disabled_reason"));
	resp_free(&r);
}

Test(webhooks, delivery_skipped_when_the_owner_lost_access)
{
	char	 wid[40], secret[80], did[40], other[40], buf[300];
	int	 i;

	jobs_start(true);
	webhook("/ok", "[\"*\"]", wid, secret);
	/*
	 * A delivery about a resource of someone else (what a removed project
	 * member's webhook would hold once teams exist).
	 */
	pu_sql(other, sizeof(other), "SELECT id FROM users WHERE id <> '%s' LIMIT 1", me.id);
	pu_sql(did, sizeof(did), "INSERT INTO webhook_deliveries (id, webhook_id, owner_id, event, "
	    "resource_owner_id, payload) VALUES (gen_random_uuid(), '%s', '%s', 'task.updated', "
	    "'%s', '{}') RETURNING id", wid, me.id, other);
	pu_sql(buf, sizeof(buf), "SELECT pg_notify('taskman_jobs', 'test')::text");
	for (i = 0; i < 100; i++) {
		pu_sql(buf, sizeof(buf), "SELECT status FROM webhook_deliveries WHERE id = '%s'", did);
		if (strcmp(buf, "pending") != 0)
			break;
		usleep(100000);
	}
	cr_expect_str_eq(buf, "skipped");
	cr_expect_eq(rx_count("/ok", NULL, false), 0, "sent although access was lost");
}

Test(webhooks, rolled_back_write_sends_nothing)
{
	char		 wid[40], secret[80], sql[512], tid[40], n[16];
	PGconn		*c;
	PGresult	*res;

	jobs_start(true);
	webhook("/ok", "[\"*\"]", wid, secret);
	cr_assert_not_null(getenv("TASKMAN_TEST_DATABASE_URL"));
	c = PQconnectdb(getenv("TASKMAN_TEST_DATABASE_URL"));
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	snprintf(sql, sizeof(sql), "BEGIN; SELECT taskman_set_user('%s', 'user', NULL::uuid); "
	    "INSERT INTO tasks (owner_id, title) VALUES ('%s', 'rolled back'); ", me.id, me.id);
	res = PQexec(c, sql);
	cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
	PQclear(res);
	/* the trigger wrote its delivery row inside this transaction */
	res = PQexec(c, "SELECT count(*) FROM webhook_deliveries WHERE event = 'task.created'");
	cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
	cr_expect_str_eq(PQgetvalue(res, 0, 0), "1");
	PQclear(res);
	usleep(500 * 1000);	/* a runner polling meanwhile must not see it */
	PQclear(PQexec(c, "ROLLBACK"));
	PQfinish(c);

	task("committed", NULL, tid);		/* the marker that comes after */
	cr_assert(wait_rx("/ok", "task.created", 1, 20));
	usleep(1000 * 1000);
	cr_expect_eq(rx_count("/ok", NULL, false), 1);
	pthread_mutex_lock(&rx.mu);
	cr_expect(strstr(rx.hits[0].body, "committed") != NULL);
	pthread_mutex_unlock(&rx.mu);
	pu_sql(n, sizeof(n), "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = '%s'", wid);
	cr_expect_str_eq(n, "1");
}

Test(webhooks, sigkill_mid_delivery_then_restart_delivers_everything)
{
	char	 wid[40], secret[80], tid[40], n[16];
	int	 i;

	rx.slow_ms = 2000;
	jobs_start(true);
	webhook("/slow", "[\"task.created\"]", wid, secret);
	for (i = 0; i < 5; i++)
		task("batch", NULL, tid);
	/* the first request is in the receiver's hands: kill the runner */
	for (i = 0; i < 200; i++) {
		usleep(20000);
		pthread_mutex_lock(&rx.mu);
		n[0] = rx.started > 0 ? '1' : '0';
		pthread_mutex_unlock(&rx.mu);
		if (n[0] == '1')
			break;
	}
	cr_assert(i < 200, "the runner never started delivering");
	cr_expect_eq(jobs_stop(SIGKILL), -1);
	pu_sql(n, sizeof(n), "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = '%s' "
	    "AND status = 'delivered'", wid);
	cr_expect_str_eq(n, "0", "delivered before the kill");
	jobs_start(true);
	for (i = 0; i < 400; i++) {
		pu_sql(n, sizeof(n), "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = '%s' "
		    "AND status = 'delivered'", wid);
		if (strcmp(n, "5") == 0)
			break;
		usleep(100000);
	}
	cr_assert_str_eq(n, "5", "only %s of 5 delivered after the restart", n);
	/* every one reached the receiver and was answered 200 */
	cr_expect(wait_rx("/slow", "task.created", 5, 10));
	/* at least once: the interrupted one arrived twice */
	cr_expect_geq(rx_count("/slow", NULL, false), 6);
}

Test(webhooks, private_target_refused_unless_allowed)
{
	struct resp	 r;
	char		 wid[40], tid[40], body[256], err[512];
	int		 i;

	jobs_start(false);
	/* a name, so the check is on the resolved address, not the URL text */
	snprintf(body, sizeof(body), "{\"url\":\"http://localhost:%d/ok\",\"events\":[\"task.created\"]}",
	    rx.port);
	pu_call(&r, &me, "POST", "/api/v1/webhooks", body, NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	snprintf(wid, sizeof(wid), "%s", pu_str(r.json, "id"));
	resp_free(&r);
	task("to nowhere", NULL, tid);
	for (i = 0; i < 100; i++) {
		pu_sql(err, sizeof(err), "SELECT coalesce(status || ': ' || last_error, '') "
		    "FROM webhook_deliveries WHERE webhook_id = '%s'", wid);
		if (strncmp(err, "failed", 6) == 0)
			break;
		usleep(100000);
	}
	cr_expect(strstr(err, "not allowed") != NULL, "delivery: %s", err);
	cr_expect_eq(rx_count("", NULL, false), 0, "the receiver was reached");
}

Test(webhooks, survives_postgresql_restart)
{
	char wid[40], secret[80], tid[40];

	jobs_start(true);
	webhook("/ok", "[\"task.created\"]", wid, secret);
	cr_assert_eq(h_stack("pg-restart"), 0);
	sleep(1);
	task("after restart", NULL, tid);
	cr_assert(wait_rx("/ok", "task.created", 1, 30), "nothing after the restart");
	cr_expect_eq(jobs_stop(SIGTERM), 0);
}

Test(webhooks, metrics_of_the_runner_in_get_metrics)
{
	char		 wid[40], secret[80], tid[40], url[512];
	struct resp	 r;

	if (metrics_file() == NULL)
		cr_skip_test("no STACK_METRICS_FILE in stack.env");
	/* /metrics is served only by the loopback metrics listener */
	cr_assert_not_null(getenv("TASKMAN_TEST_METRICS_URL"),
	    "TASKMAN_TEST_METRICS_URL is not set");
	snprintf(url, sizeof(url), "%s/metrics", getenv("TASKMAN_TEST_METRICS_URL"));
	jobs_start(true);
	webhook("/ok", "[\"task.created\"]", wid, secret);
	task("counted", NULL, tid);
	cr_assert(wait_rx("/ok", "task.created", 1, 20));
	usleep(800 * 1000);	/* the gauges are refreshed after the queue drains */
	cr_assert_eq(h_request("GET", url, NULL, 0, NULL, &r), 0);
	cr_assert_eq(r.status, 200);
	cr_expect(strstr(r.body, "taskman_webhook_deliveries_total{outcome=\"delivered\"} ") != NULL);
	cr_expect(strstr(r.body, "taskman_webhook_deliveries_total{outcome=\"delivered\"} 0\n") == NULL);
	cr_expect(strstr(r.body, "taskman_webhook_queue_depth ") != NULL, "%s", r.body);
	cr_expect(strstr(r.body, "taskman_webhook_oldest_pending_seconds ") != NULL);
	cr_expect(strstr(r.body, "taskman_jobs_runners ") != NULL);
	resp_free(&r);
}

/* ------------------------------------------------------------------ */
/* Mail */

static int
mx_count(const char *rcpt_has, const char *data_has)
{
	int n = 0;

	pthread_mutex_lock(&mx.mu);
	for (int i = 0; i < mx.n; i++)
		if (strstr(mx.rcpt[i], rcpt_has) != NULL &&
		    (data_has == NULL || strstr(mx.data[i], data_has) != NULL))
			n++;
	pthread_mutex_unlock(&mx.mu);
	return n;
}

static bool
wait_mx(const char *rcpt, const char *has, int want, int seconds)
{
	for (int i = 0; i < seconds * 20; i++) {
		if (mx_count(rcpt, has) >= want)
			return true;
		usleep(50000);
	}
	return false;
}

Test(webhooks, mails_arrive_once_without_header_injection_and_opt_out)
{
	char		 tid[40], due[40], extra[128], dummy[64], *head = NULL;
	struct resp	 r;

	jobs_start(true);
	/* the daily digest: one task due in 3 hours */
	pu_sql(due, sizeof(due), "SELECT to_char((now() + interval '3 hours') AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
	snprintf(extra, sizeof(extra), "\"due_at\":\"%s\"", due);
	task("Digest me", extra, tid);
	cr_assert(wait_mx(me.email, "Digest me", 1, 20), "no digest mail");

	/*
	 * An assignment mail (the teams work triggers it on tasks.assignee_id;
	 * here the same enqueue function) with a title that tries to add a
	 * header.
	 */
	pu_sql(dummy, sizeof(dummy), "SELECT taskman_mail_enqueue('%s', NULL, 'assignment', "
	    "jsonb_build_object('task', jsonb_build_object('id', '%s', "
	    "'title', E'Evil\\r\\nBcc: victim@example.com\\r\\n\\r\\nbody', 'due_at', null), "
	    "'by', jsonb_build_object('username', 'boss', 'display_name', E'The\\nBoss')))::text",
	    me.id, tid);
	cr_assert(wait_mx(me.email, "assigned you a task", 1, 20), "no assignment mail");
	usleep(1500 * 1000);		/* more schedule rounds: still once each */
	cr_expect_eq(mx_count(me.email, "Digest me"), 1);
	cr_expect_eq(mx_count(me.email, "assigned you a task"), 1);

	pthread_mutex_lock(&mx.mu);
	for (int i = 0; i < mx.n; i++) {
		char *end;

		if (strstr(mx.rcpt[i], me.email) == NULL)
			continue;
		end = strstr(mx.data[i], "\r\n\r\n");
		cr_assert_not_null(end);
		head = strndup(mx.data[i], (size_t)(end - mx.data[i]));
		cr_expect(strstr(head, "\r\nDate: ") != NULL || strncmp(head, "Date: ", 6) == 0);
		cr_expect(strstr(head, " +0000") != NULL, "%s", head);
		cr_expect(strstr(head, "Message-ID: <") != NULL, "%s", head);
		cr_expect(strstr(head, "@taskman.test>") != NULL, "%s", head);
		cr_expect(strstr(head, "Bcc") == NULL, "header injected: %s", head);
		cr_expect(strstr(head, "Content-Type: text/plain; charset=utf-8") != NULL);
		if (strstr(mx.data[i], "assigned you") != NULL) {
			cr_expect(strstr(end, "Evil  Bcc: victim@example.com    body") != NULL,
			    "%s", end);
			cr_expect(strstr(end, "The Boss assigned") != NULL, "%s", end);
		}
		free(head);
	}
	pthread_mutex_unlock(&mx.mu);

	/* opt out: the next mail is not sent */
	pu_call(&r, &me, "PATCH", "/api/v1/users/me", "{\"notify_email\":false}", NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect(json_object_get_boolean(pu_get(r.json, "notify_email")) == 0);
	resp_free(&r);
	pu_call(&r, &me, "GET", "/api/v1/users/me", NULL, NULL, NULL);
	cr_expect_str_eq(pu_raw(r.json, "notify_email"), "false");
	resp_free(&r);
	pu_sql(dummy, sizeof(dummy), "SELECT taskman_mail_enqueue('%s', NULL, 'assignment', "
	    "'{\"task\": {\"title\": \"Quiet\"}}')::text", me.id);
	usleep(1500 * 1000);
	cr_expect_eq(mx_count(me.email, "Quiet"), 0);
	pu_sql(dummy, sizeof(dummy), "SELECT count(*) FROM mail_outbox WHERE user_id = '%s' "
	    "AND status = 'sent'", me.id);
	cr_expect_str_eq(dummy, "2");
}

/* ------------------------------------------------------------------ */
/* The API */

Test(webhooks, api_rules_secret_once_and_isolation)
{
	struct pu_user	 other;
	struct resp	 r;
	char		 wid[40], secret[80], path[128], body[256], pid[40], n[16];

	webhook("/ok", "[\"task.created\",\"project.updated\"]", wid, secret);
	snprintf(path, sizeof(path), "/api/v1/webhooks/%s", wid);
	pu_call(&r, &me, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200);
	cr_expect_null(pu_get(r.json, "secret"), "the secret is shown again");
	cr_expect(strstr(r.body, secret) == NULL);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"1\"");
	resp_free(&r);
	pu_sql(n, sizeof(n), "SELECT octet_length(secret) FROM webhook_secrets "
	    "WHERE webhook_id = '%s' AND encode(secret, 'hex') = '%s'", wid, secret);
	cr_expect_str_eq(n, "32");

	pu_expect_problem(&me, "POST", "/api/v1/webhooks",
	    "{\"url\":\"ftp://example.com/x\",\"events\":[\"*\"]}", NULL, NULL, 422, "validation-error");
	pu_expect_problem(&me, "POST", "/api/v1/webhooks",
	    "{\"url\":\"https://user:pw@example.com/x\",\"events\":[\"*\"]}", NULL, NULL, 422,
	    "validation-error");
	pu_expect_problem(&me, "POST", "/api/v1/webhooks",
	    "{\"url\":\"https://example.com/x\",\"events\":[\"task.exploded\"]}", NULL, NULL, 422,
	    "validation-error");
	pu_expect_problem(&me, "POST", "/api/v1/webhooks",
	    "{\"url\":\"https://example.com/x\",\"events\":[]}", NULL, NULL, 422, "validation-error");
	pu_expect_problem(&me, "POST", "/api/v1/webhooks",
	    "{\"url\":\"https://example.com/x\",\"events\":[\"*\"],\"secret\":\"x\"}", NULL, NULL,
	    422, "validation-error");

	/* another user's project is not a filter one may set; nor is the webhook theirs */
	pu_user_fresh(&other, NULL);
	pu_create(&other, "/api/v1/projects", "{\"name\":\"Theirs\"}", pid);
	snprintf(body, sizeof(body), "{\"url\":\"https://example.com/x\",\"events\":[\"*\"],"
	    "\"project_id\":\"%s\"}", pid);
	pu_call(&r, &me, "POST", "/api/v1/webhooks", body, NULL, NULL);
	pu_expect_422(&r, "project_id", "another user's project");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\"}", pid);
	pu_call(&r, &me, "PATCH", path, body, NULL, NULL);
	pu_expect_422(&r, "project_id", "another user's project (PATCH)");
	resp_free(&r);
	pu_expect_problem(&other, "GET", path, NULL, NULL, NULL, 404, "not-found");
	pu_expect_problem(&other, "DELETE", path, NULL, NULL, NULL, 404, "not-found");
	snprintf(body, sizeof(body), "%s/ping", path);
	pu_expect_problem(&other, "POST", body, NULL, NULL, NULL, 404, "not-found");

	pu_call(&r, &me, "PATCH", path, "{\"active\":false,\"description\":\"off\"}",
	    "If-Match: \"1\"", NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect(json_object_get_boolean(pu_get(r.json, "active")) == 0);
	cr_expect_str_eq(pu_str(r.json, "description"), "off");
	resp_free(&r);
	pu_expect_problem(&me, "PATCH", path, "{\"active\":true}", "If-Match: \"1\"", NULL, 412,
	    "precondition-failed");

	pu_call(&r, &me, "GET", "/api/v1/webhooks", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200);
	cr_expect_eq(pu_int(r.json, "total"), 1);
	resp_free(&r);
	call_ok("DELETE", path, NULL, 204);
	pu_expect_problem(&me, "GET", path, NULL, NULL, NULL, 404, "not-found");
	pu_sql(n, sizeof(n), "SELECT count(*) FROM webhook_secrets WHERE webhook_id = '%s'", wid);
	cr_expect_str_eq(n, "0");
}

Test(webhooks, app_role_cannot_read_secrets_or_write_outboxes)
{
	/* definer functions that write other users' outboxes (forged
	 * deliveries or mails): only triggers and taskman_jobs may call them */
	static const char *const calls[] = {
		"SELECT taskman_events_fanout(gen_random_uuid(), NULL, 'task.created', '{}', NULL)",
		"SELECT taskman_mail_enqueue(NULL, 'x@example.test', 'invitation', '{}')",
		"SELECT taskman_event_may_see(gen_random_uuid(), gen_random_uuid(), NULL)",
	};
	PGconn		*c;
	PGresult	*res;
	const char	*state;

	c = PQconnectdb(getenv("TASKMAN_TEST_DATABASE_URL"));
	cr_assert_eq(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, "SELECT secret FROM webhook_secrets");
	cr_expect_eq(PQresultStatus(res), PGRES_FATAL_ERROR);
	cr_expect_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42501");
	PQclear(res);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		res = PQexec(c, calls[i]);
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		cr_expect_eq(PQresultStatus(res), PGRES_FATAL_ERROR, "%s", calls[i]);
		cr_expect_str_eq(state != NULL ? state : "(none)", "42501", "%s", calls[i]);
		PQclear(res);
	}
	PQfinish(c);
}
