/*
 * taskman-fcgi: the FastCGI worker.  Reads configuration, opens (or is
 * handed) the listening socket, optionally becomes a supervisor of N
 * workers, and runs the accept loop: one request at a time, each through
 * http -> router -> api handler -> db -> http.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "api/docs.h"
#include "app.h"
#include "auth/tokens.h"
#include "config.h"
#include "coverage.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "router.h"
#include "supervisor.h"

#define LISTEN_BACKLOG	1024

static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Creates the unix socket at path with mode and group; returns fd or -1. */
static int
listen_unix(const struct config *c, char *err, size_t errlen)
{
	struct sockaddr_un	 sa;
	struct group		*gr;
	mode_t			 old;
	int			 fd;

	if (strlen(c->listen_path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "TASKMAN_LISTEN is longer than %zu bytes",
		    sizeof(sa.sun_path) - 1);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, c->listen_path, strlen(c->listen_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	(void)unlink(c->listen_path);
	/* no window in which the socket exists with looser permissions */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		umask(old);
		goto fail;
	}
	umask(old);
	if (c->socket_group != NULL) {
		if ((gr = getgrnam(c->socket_group)) == NULL) {
			snprintf(err, errlen, "TASKMAN_SOCKET_GROUP: no group %s",
			    c->socket_group);
			close(fd);
			return -1;
		}
		if (chown(c->listen_path, (uid_t)-1, gr->gr_gid) != 0)
			goto fail;
	}
	if (chmod(c->listen_path, c->socket_mode) != 0 ||
	    listen(fd, LISTEN_BACKLOG) != 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "TASKMAN_LISTEN %s: %s", c->listen_path,
	    strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int
listen_fd0(char *err, size_t errlen)
{
	struct stat	 st;
	int		 acc = 0;
	socklen_t	 len = sizeof(acc);

	if (fstat(0, &st) != 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) != 0 || !acc) {
		snprintf(err, errlen, "standard input is not a listening socket: "
		    "set TASKMAN_LISTEN, or start under spawn-fcgi or a systemd socket");
		return -1;
	}
	return 0;
}

static long
since_us(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000000L + (now.tv_nsec - t0->tv_nsec) / 1000;
}

static void
log_request(const struct req *r)
{
	json_object	*o;
	long		 us = since_us(&r->started);

	if ((o = json_object_new_object()) == NULL)
		return;
	json_object_object_add(o, "event", json_object_new_string("request"));
	json_object_object_add(o, "request_id", json_object_new_string(r->request_id));
	json_object_object_add(o, "method", json_object_new_string(r->method_name));
	json_object_object_add(o, "path", json_new_text(r->path));
	if (r->route != NULL)
		json_object_object_add(o, "route", json_object_new_string(r->route->pattern));
	json_object_object_add(o, "status", json_object_new_int(r->status));
	json_object_object_add(o, "duration_us", json_object_new_int64(us));
	if (r->user.known)
		json_object_object_add(o, "user_id", json_object_new_string(r->user.id));
	json_object_object_add(o, "remote_addr", json_object_new_string(r->remote_addr));
	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	/* errors at once; the rest in batches (one write per batch) */
	if (r->status >= 500)
		log_json(LOG_ERROR, o);
	else
		log_json_batched(LOG_INFO, o);
	json_object_put(o);
}

static void
serve(struct app *a, FCGX_Request *fr)
{
	static unsigned	 served;
	struct req	 r;
	int		 st;

	http_req_init(&r, a, fr->in, fr->out, fr->envp);
	st = http_parse_head(&r, a->cfg->body_limit);
	if (st == 0)
		st = router_dispatch(&r);
	if (st < 100 || st > 599)
		st = 500;
	/* a handler that returned an error status without a body gets one */
	if (!r.streamed && st >= 400 && r.out_json == NULL && r.out_type == NULL)
		http_problem(&r, st, NULL);
	if (!r.streamed)
		r.status = st;
	http_send(&r);
	st = r.status;		/* 500 when the response could not be built */
	metrics_request(a->mslot, r.route ? (int)(r.route - router_routes) : -1,
	    st, since_us(&r.started));
	if (served++ % 256 == 0)
		metrics_refresh(a->mslot);
	log_request(&r);
	/*
	 * A streamed body that was cut short must not look whole.  nginx
	 * takes a FastCGI connection that merely closes (no END_REQUEST) as
	 * the end of a body of unknown length and sends the last chunk; a
	 * record it cannot parse (version 0) is an upstream error instead,
	 * and with the head already sent it closes the client's connection
	 * without the last chunk.  libfcgi writes whole records at each
	 * flush, so the socket is at a record boundary here.
	 */
	if (r.streamed && r.stream_failed) {
		static const unsigned char poison[8];	/* all zero: version 0 */
		ssize_t n;

		log_msg(LOG_ERROR, "stream_cut", "request %s: the streamed response "
		    "was cut short; the connection is aborted", r.request_id);
		n = write(fr->ipcFd, poison, sizeof(poison));
		(void)n;	/* the client may be gone already */
		shutdown(fr->ipcFd, SHUT_RDWR);
	}
	http_req_reset(&r);
	coverage_flush();
}

struct worker_arg {
	const struct config	*cfg;
	const struct tokens	*tokens;
	struct metrics_region	*metrics;
	const struct docs	*docs;
	int			 listen_fd;
};

static int
worker_main(void *argp)
{
	struct worker_arg	*wa = argp;
	struct app		 a;
	FCGX_Request		 fr;
	struct sigaction	 sa;
	struct epoll_event	 ev;
	sigset_t		 block, waitmask;
	int			 ep = -1, rc = 1, n;

	/*
	 * SIGTERM stays blocked except inside epoll_pwait, so it can never
	 * interrupt a request half-read or half-written, and never slips in
	 * between the check of stop_requested and the wait (no lost wakeup).
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGHUP);

	app_init(&a, wa->cfg, wa->tokens);
	a.metrics = wa->metrics;
	a.docs = wa->docs;
	if (a.metrics != NULL && (a.mslot = metrics_claim(a.metrics)) == NULL)
		log_msg(LOG_WARN, "metrics_full", "no free metrics slot; this worker is not counted");
	a.db.metrics = a.mslot;
	(void)db_connect(&a.db);	/* a failure is retried per request */
	if (FCGX_InitRequest(&fr, wa->listen_fd, 0) != 0)
		goto out;
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		goto out;
	memset(&ev, 0, sizeof(ev));
	/* EPOLLEXCLUSIVE: one idle worker wakes per connection, not all */
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, wa->listen_fd, &ev) != 0)
		goto out;
	log_msg(LOG_INFO, "worker_start", "worker ready");

	while (!stop_requested) {
		/* waiting lines go out before the worker would sleep */
		n = epoll_pwait(ep, &ev, 1, log_pending() ? 0 : -1, &waitmask);
		if (n == 0 && log_pending()) {
			log_flush();
			continue;
		}
		if (n < 0 && errno != EINTR) {
			log_msg(LOG_ERROR, "epoll_failed", "%s", strerror(errno));
			goto out;
		}
		if (n <= 0 || stop_requested)
			continue;
		/* the socket is non-blocking: another worker may have won it */
		if (FCGX_Accept_r(&fr) < 0)
			continue;
		serve(&a, &fr);
		FCGX_Finish_r(&fr);
	}
	log_msg(LOG_INFO, "worker_stop", "worker stopped");
	rc = 0;
out:
	if (ep >= 0)
		close(ep);
	FCGX_Free(&fr, 0);
	app_free(&a);
	return rc;
}

int
main(void)
{
	static struct config	cfg;
	static struct tokens	tokens;
	static struct docs	docs;
	struct worker_arg	wa;
	char			err[256];
	int			flags;

	if (config_load(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "taskman-fcgi: configuration: %s\n", err);
		return CONFIG_EXIT_BAD;
	}
	log_set_level(cfg.log_level);
	/* keys and the dummy hash are made once, before fork, and shared read-only */
	if (tokens_init(&tokens, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "taskman-fcgi: configuration: %s\n", err);
		return CONFIG_EXIT_BAD;
	}
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0) {
		fprintf(stderr, "taskman-fcgi: FCGX_Init failed\n");
		return 1;
	}
	wa.cfg = &cfg;
	wa.tokens = &tokens;
	docs_load(&docs, cfg.openapi_file);
	wa.docs = &docs;
	if ((wa.metrics = metrics_open(cfg.metrics_file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "taskman-fcgi: %s\n", err);
		return CONFIG_EXIT_BAD;
	}
	if (cfg.listen_path != NULL)
		wa.listen_fd = listen_unix(&cfg, err, sizeof(err));
	else
		wa.listen_fd = listen_fd0(err, sizeof(err));
	if (wa.listen_fd < 0) {
		fprintf(stderr, "taskman-fcgi: %s\n", err);
		return CONFIG_EXIT_BAD;
	}
	/* accept() on a non-blocking socket loses a race with EAGAIN, not a hang */
	if ((flags = fcntl(wa.listen_fd, F_GETFL)) < 0 ||
	    fcntl(wa.listen_fd, F_SETFL, flags | O_NONBLOCK) != 0) {
		fprintf(stderr, "taskman-fcgi: cannot make the socket non-blocking\n");
		return 1;
	}
	if (cfg.workers > 1)
		return supervisor_run(cfg.workers, worker_main, &wa,
		    &wa.metrics->worker_restarts);
	return worker_main(&wa);
}
