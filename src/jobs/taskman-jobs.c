/*
 * taskman-jobs: delivers what the database's outbox holds -- webhook
 * deliveries (jobs/deliver.c) and notification mails (jobs/mail.c) --
 * and runs the periodic work (task.due_soon events, daily digests,
 * retention) of schema 0007.  docs/EVENTS.md describes the whole design.
 *
 * One process, one PostgreSQL connection (role taskman_jobs), one
 * delivery at a time.  Several may run, on several hosts: each claims a
 * row with FOR UPDATE SKIP LOCKED and holds that lock while it delivers,
 * so a runner that dies (even SIGKILL) simply releases the row and
 * another -- or the restarted one -- delivers it again: at least once.
 * It sleeps on LISTEN taskman_jobs (the triggers NOTIFY) with a polling
 * fallback, reconnects when PostgreSQL goes away, and on SIGTERM finishes
 * the delivery in flight and exits 0.
 *
 * Configuration (environment; exit 78 on a bad value): see the README.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "buf.h"
#include "jobs/deliver.h"
#include "jobs/mail.h"
#include "log.h"
#include "metrics.h"

#define EX_CONFIG	78

struct jobs_cfg {
	const char	*db_url;	/* NULL: libpq's PG* variables */
	const char	*metrics_file;	/* NULL: no metrics */
	long		 poll_ms;	/* longest sleep without a NOTIFY */
	long		 schedule_ms;	/* period of taskman_jobs_schedule() */
	double		 backoff_scale;
	bool		 allow_private;
	const char	*smtp_url;	/* NULL: no mail */
	const char	*smtp_from;
	char		 from_addr[256];
	int		 digest_hour;
};

struct jobs {
	struct jobs_cfg			 cfg;
	PGconn				*conn;
	struct metrics_region		*mr;
	struct metrics_jobs_slot	*m;
	ino_t				 metrics_ino;
	long long			 next_schedule_ms;
	long long			 next_due_ms;	/* soonest pending attempt */
	long				 reconnect_ms;
};

/* ------------------------------------------------------------------ */
/* SQL: the statement table, prepared on every (re)connect */

struct jobs_stmt {
	const char	*name;
	const char	*sql;
	int		 nparams;
};

enum {
	S_CLAIM_DELIVERY, S_DELIVERY_DONE, S_DELIVERY_SKIP, S_CLAIM_MAIL,
	S_MAIL_SENDING, S_MAIL_DONE, S_MAIL_SKIP, S_MAIL_SKIP_ALL, S_SCHEDULE,
	S_GAUGES, S_N
};

static const struct jobs_stmt stmts[S_N] = {
	/*
	 * The oldest due delivery of an active webhook, locked until this
	 * transaction ends; rows other runners hold are skipped.  Columns:
	 * id, event, payload, url, key (the secret as shown: hex), attempts
	 * so far, may the owner still see it, age in ms.
	 */
	[S_CLAIM_DELIVERY] = { "jobs_claim_delivery",
	    "SELECT d.id, d.event, d.payload, w.url, encode(s.secret, 'hex'), d.attempts, "
	    "  taskman_event_may_see(w.owner_id, d.resource_owner_id, d.project_id), "
	    "  (extract(epoch FROM now() - d.created_at) * 1000)::bigint "
	    "FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id "
	    "JOIN webhook_secrets s ON s.webhook_id = w.id "
	    "WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND w.active "
	    "ORDER BY d.next_attempt_at LIMIT 1 FOR UPDATE OF d SKIP LOCKED", 0 },
	/* $1 id, $2 ok, $3 status code, $4 error, $5 ms, $6 next delay ms, $7 window ms */
	[S_DELIVERY_DONE] = { "jobs_delivery_done",
	    "SELECT taskman_jobs_delivery_done($1, $2, $3, $4, $5, $6, $7)", 7 },
	[S_DELIVERY_SKIP] = { "jobs_delivery_skip",
	    "UPDATE webhook_deliveries SET status = 'skipped', last_attempt_at = now(), "
	    "  last_error = 'the webhook''s owner can no longer see this resource' "
	    "WHERE id = $1", 1 },
	/*
	 * The oldest due mail: id, kind, payload, address, greeting name,
	 * whether it may still go out (not opted out, not disabled).
	 */
	[S_CLAIM_MAIL] = { "jobs_claim_mail",
	    "SELECT m.id, m.kind, m.payload::text, coalesce(u.email, m.to_address), "
	    "  coalesce(u.display_name, u.username, ''), "
	    "  m.user_id IS NULL OR (u.notify_email AND NOT u.disabled AND u.email IS NOT NULL), "
	    "  m.attempts "
	    "FROM mail_outbox m LEFT JOIN users u ON u.id = m.user_id "
	    "WHERE m.status = 'pending' AND m.next_attempt_at <= now() "
	    "ORDER BY m.next_attempt_at LIMIT 1 FOR UPDATE OF m SKIP LOCKED", 0 },
	/* committed before the SMTP conversation: at most once */
	[S_MAIL_SENDING] = { "jobs_mail_sending",
	    "UPDATE mail_outbox SET status = 'sending', attempts = attempts + 1, "
	    "  message_id = $2 WHERE id = $1", 2 },
	/* $1 id, $2 status, $3 error, $4 retry delay ms (pending) */
	[S_MAIL_DONE] = { "jobs_mail_done",
	    "UPDATE mail_outbox SET status = $2, last_error = left($3, 500), "
	    "  sent_at = CASE WHEN $2 = 'sent' THEN now() END, "
	    "  next_attempt_at = now() + coalesce($4::bigint, 0) * interval '1 millisecond' "
	    "WHERE id = $1", 4 },
	[S_MAIL_SKIP] = { "jobs_mail_skip",
	    "UPDATE mail_outbox SET status = 'skipped', last_error = $2 WHERE id = $1", 2 },
	[S_MAIL_SKIP_ALL] = { "jobs_mail_skip_all",
	    "UPDATE mail_outbox SET status = 'skipped', "
	    "  last_error = 'no SMTP relay is configured' WHERE status = 'pending'", 0 },
	[S_SCHEDULE] = { "jobs_schedule",
	    "SELECT taskman_jobs_schedule($1, $2)", 2 },
	/* queue depth, oldest pending age, mail queue, ms until the next due attempt */
	[S_GAUGES] = { "jobs_gauges",
	    "SELECT count(*), coalesce((extract(epoch FROM now() - min(d.created_at)) * 1000)::bigint, 0), "
	    "  (SELECT count(*) FROM mail_outbox WHERE status = 'pending'), "
	    "  least((extract(epoch FROM min(d.next_attempt_at) - now()) * 1000)::bigint, "
	    "    (SELECT (extract(epoch FROM min(next_attempt_at) - now()) * 1000)::bigint "
	    "       FROM mail_outbox WHERE status = 'pending')) "
	    "FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id "
	    "WHERE d.status = 'pending' AND w.active", 0 },
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* Signals: SIGTERM/SIGINT stay blocked except inside ppoll(), so a
 * delivery is never cut short and a signal is never lost. */

static volatile sig_atomic_t stop_flag;

static void
on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static bool
stopping(void)
{
	sigset_t p;

	if (stop_flag)
		return true;
	sigemptyset(&p);
	return sigpending(&p) == 0 && (sigismember(&p, SIGTERM) || sigismember(&p, SIGINT));
}

/* Sleeps up to ms, or until fd (when >= 0) is readable or a stop signal. */
static void
wait_for(int fd, long ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };
	sigset_t	none;

	sigemptyset(&none);
	if (stop_flag)
		return;
	(void)ppoll(fd >= 0 ? &pfd : NULL, fd >= 0 ? 1 : 0, &ts, &none);
}

/* ------------------------------------------------------------------ */
/* Configuration */

static void
cfg_fail(const char *name, const char *why)
{
	log_msg(LOG_ERROR, "config", "%s: %s", name, why);
	fprintf(stderr, "taskman-jobs: %s: %s\n", name, why);
	exit(EX_CONFIG);
}

static long
cfg_long(const char *name, long def, long min, long max)
{
	const char	*s = getenv(name);
	char		*end;
	long		 v;

	if (s == NULL || *s == '\0')
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		cfg_fail(name, "not an integer in range");
	return v;
}

static bool
cfg_bool(const char *name, bool def)
{
	const char *s = getenv(name);

	if (s == NULL || *s == '\0')
		return def;
	if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)
		return true;
	if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
		return false;
	cfg_fail(name, "must be true or false");
	return def;
}

static const char *
cfg_str(const char *name)
{
	const char *s = getenv(name);

	return s != NULL && *s != '\0' ? s : NULL;
}

static void
cfg_load(struct jobs_cfg *c)
{
	const char	*s;
	char		*end;
	enum log_level	 lvl;

	if ((s = cfg_str("TASKMAN_LOG_LEVEL")) != NULL) {
		if (log_level_parse(s, &lvl) != 0)
			cfg_fail("TASKMAN_LOG_LEVEL", "must be debug, info, warn or error");
		log_set_level(lvl);
	}
	c->db_url = cfg_str("TASKMAN_JOBS_DATABASE_URL");
	if (c->db_url == NULL)
		c->db_url = cfg_str("TASKMAN_DATABASE_URL");
	c->metrics_file = cfg_str("TASKMAN_METRICS_FILE");
	c->poll_ms = cfg_long("TASKMAN_JOBS_POLL_MS", 5000, 50, 3600000);
	c->schedule_ms = cfg_long("TASKMAN_JOBS_SCHEDULE_MS", 60000, 100, 86400000);
	c->backoff_scale = 1.0;
	if ((s = cfg_str("TASKMAN_JOBS_BACKOFF_SCALE")) != NULL) {
		errno = 0;
		c->backoff_scale = strtod(s, &end);
		if (errno != 0 || *end != '\0' || !(c->backoff_scale >= 0.00001) ||
		    c->backoff_scale > 1000)
			cfg_fail("TASKMAN_JOBS_BACKOFF_SCALE", "must be a number in 0.00001..1000");
	}
	c->allow_private = cfg_bool("TASKMAN_WEBHOOK_ALLOW_PRIVATE", false);
	c->smtp_url = cfg_str("TASKMAN_SMTP_URL");
	if (c->smtp_url != NULL && strncmp(c->smtp_url, "smtp://", 7) != 0 &&
	    strncmp(c->smtp_url, "smtps://", 8) != 0 &&
	    strncmp(c->smtp_url, "smtp+starttls://", 16) != 0)
		cfg_fail("TASKMAN_SMTP_URL", "must start with smtp://, smtps:// or smtp+starttls://");
	c->smtp_from = cfg_str("TASKMAN_SMTP_FROM");
	if (c->smtp_from == NULL)
		c->smtp_from = "taskman <taskman@localhost>";
	if (!mail_from_ok(c->smtp_from, c->from_addr, sizeof(c->from_addr)))
		cfg_fail("TASKMAN_SMTP_FROM", "must be \"Name <addr>\" or an address, printable ASCII");
	c->digest_hour = (int)cfg_long("TASKMAN_MAIL_DIGEST_HOUR", 6, 0, 23);
}

/* ------------------------------------------------------------------ */
/* Metrics (the workers' shared region, when TASKMAN_METRICS_FILE is set) */

/*
 * (Re)maps the region when the file is new: the workers' unit removes
 * its runtime directory when it stops, and a restarted one makes a new
 * file, which this process must follow.
 */
static void
metrics_follow(struct jobs *j)
{
	struct stat	 st;
	char		 err[256];

	if (j->cfg.metrics_file == NULL)
		return;
	if (j->mr != NULL && stat(j->cfg.metrics_file, &st) == 0 && st.st_ino == j->metrics_ino)
		return;
	if (j->mr != NULL) {
		munmap(j->mr, sizeof(*j->mr));
		j->mr = NULL;
		j->m = NULL;
	}
	if ((j->mr = metrics_open(j->cfg.metrics_file, err, sizeof(err))) == NULL) {
		log_msg(LOG_WARN, "metrics", "%s", err);
		return;
	}
	if (stat(j->cfg.metrics_file, &st) == 0)
		j->metrics_ino = st.st_ino;
	if ((j->m = metrics_jobs_claim(j->mr)) == NULL)
		log_msg(LOG_WARN, "metrics", "no free jobs slot in %s", j->cfg.metrics_file);
}

/* ------------------------------------------------------------------ */
/* Database */

static void
db_drop(struct jobs *j, const char *why)
{
	if (j->conn != NULL) {
		log_msg(LOG_WARN, "db", "connection lost: %s", why);
		PQfinish(j->conn);
		j->conn = NULL;
	}
}

static bool
db_cmd(struct jobs *j, const char *sql)
{
	PGresult	*res = PQexec(j->conn, sql);
	bool		 ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
			    PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		log_msg(LOG_ERROR, "db", "%s: %s", sql, PQerrorMessage(j->conn));
	PQclear(res);
	return ok;
}

/* Connects, prepares the statements and LISTENs.  true when ready. */
static bool
db_connect(struct jobs *j)
{
	PGresult *res;

	j->conn = j->cfg.db_url ? PQconnectdb(j->cfg.db_url) : PQconnectdb("");
	if (PQstatus(j->conn) != CONNECTION_OK) {
		log_msg(LOG_WARN, "db", "cannot connect: %s", PQerrorMessage(j->conn));
		PQfinish(j->conn);
		j->conn = NULL;
		return false;
	}
	if (!db_cmd(j, "SET application_name = 'taskman-jobs'") ||
	    /* a runner stuck mid-transaction must not hold its rows forever */
	    !db_cmd(j, "SET idle_in_transaction_session_timeout = '60s'") ||
	    !db_cmd(j, "SET statement_timeout = '30s'") ||
	    !db_cmd(j, "LISTEN taskman_jobs"))
		goto fail;
	for (int i = 0; i < S_N; i++) {
		res = PQprepare(j->conn, stmts[i].name, stmts[i].sql, stmts[i].nparams, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			log_msg(LOG_ERROR, "db", "prepare %s: %s", stmts[i].name,
			    PQerrorMessage(j->conn));
			PQclear(res);
			goto fail;
		}
		PQclear(res);
	}
	if (j->m != NULL)
		__atomic_fetch_add(&j->m->db_reconnects, 1, __ATOMIC_RELAXED);
	log_msg(LOG_INFO, "db", "connected");
	j->next_schedule_ms = 0;
	return true;
fail:
	db_drop(j, "set-up failed");
	return false;
}

/*
 * Runs statement i; returns the result (caller PQclear()s) or NULL after
 * an error, which is logged; a broken connection is dropped.
 */
static PGresult *
db_run(struct jobs *j, int i, const char *const *v)
{
	PGresult	*res = PQexecPrepared(j->conn, stmts[i].name, stmts[i].nparams, v,
			    NULL, NULL, 0);
	ExecStatusType	 st = PQresultStatus(res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	log_msg(LOG_ERROR, "db", "%s: %s", stmts[i].name, PQerrorMessage(j->conn));
	PQclear(res);
	if (PQstatus(j->conn) != CONNECTION_OK)
		db_drop(j, "statement failed");
	return NULL;
}

static void
db_rollback(struct jobs *j)
{
	if (j->conn != NULL && PQstatus(j->conn) == CONNECTION_OK &&
	    PQtransactionStatus(j->conn) != PQTRANS_IDLE)
		(void)db_cmd(j, "ROLLBACK");
}

/* Drains notifications; they only wake the loop. */
static void
db_notifies(struct jobs *j)
{
	PGnotify *n;

	if (PQconsumeInput(j->conn) == 0) {
		db_drop(j, PQerrorMessage(j->conn));
		return;
	}
	while ((n = PQnotifies(j->conn)) != NULL)
		PQfreemem(n);
}

/* ------------------------------------------------------------------ */
/* Work */

/*
 * Claims and delivers one due webhook delivery.  1: one was handled,
 * 0: none due, -1: database trouble.
 */
static int
deliver_one(struct jobs *j)
{
	struct deliver_result	 dr;
	PGresult		*res = NULL, *r2;
	char			 sig[DELIVER_SIG_MAX], code[16], ms[24], next[24], win[24];
	const char		*v[7];
	long long		 d;
	int			 rc = -1;

	if (!db_cmd(j, "BEGIN"))
		goto fail;
	if ((res = db_run(j, S_CLAIM_DELIVERY, NULL)) == NULL)
		goto fail;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return db_cmd(j, "COMMIT") ? 0 : -1;
	}
	v[0] = PQgetvalue(res, 0, 0);
	if (strcmp(PQgetvalue(res, 0, 6), "t") != 0) {
		if ((r2 = db_run(j, S_DELIVERY_SKIP, v)) == NULL)
			goto fail;
		PQclear(r2);
		metrics_delivery(j->m, MD_SKIPPED);
		log_msg(LOG_INFO, "webhook", "delivery %s skipped: access revoked", v[0]);
		goto commit;
	}
	if (deliver_sign(PQgetvalue(res, 0, 4), (long long)time(NULL), PQgetvalue(res, 0, 2),
	    (size_t)PQgetlength(res, 0, 2), sig) != 0) {
		log_msg(LOG_ERROR, "webhook", "cannot sign delivery %s", v[0]);
		goto fail;
	}
	(void)deliver_post(PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 1), v[0],
	    PQgetvalue(res, 0, 2), sig, j->cfg.allow_private, &dr);
	d = -1;
	if (!dr.ok && !dr.refused)
		d = deliver_backoff_ms(atoi(PQgetvalue(res, 0, 5)) + 1,
		    atoll(PQgetvalue(res, 0, 7)), j->cfg.backoff_scale);
	snprintf(code, sizeof(code), "%ld", dr.status);
	snprintf(ms, sizeof(ms), "%ld", dr.duration_ms);
	snprintf(next, sizeof(next), "%lld", d);
	snprintf(win, sizeof(win), "%lld", deliver_window_ms(j->cfg.backoff_scale));
	v[1] = dr.ok ? "true" : "false";
	v[2] = dr.status > 0 ? code : NULL;
	v[3] = dr.ok ? NULL : dr.error;
	v[4] = ms;
	v[5] = d >= 0 ? next : NULL;
	v[6] = win;
	if ((r2 = db_run(j, S_DELIVERY_DONE, v)) == NULL)
		goto fail;
	PQclear(r2);
	metrics_delivery(j->m, dr.ok ? MD_DELIVERED : dr.refused ? MD_REFUSED :
	    d >= 0 ? MD_RETRY : MD_GAVE_UP);
	log_msg(dr.ok ? LOG_DEBUG : LOG_INFO, "webhook", "delivery %s (%s) %s in %ld ms%s",
	    v[0], PQgetvalue(res, 0, 1), dr.ok ? "delivered" : dr.error, dr.duration_ms,
	    dr.ok ? "" : d >= 0 ? ", will retry" : ", given up");
commit:
	rc = db_cmd(j, "COMMIT") ? 1 : -1;
	PQclear(res);
	return rc;
fail:
	PQclear(res);
	db_rollback(j);
	return -1;
}

/* Claims and sends one due mail; as deliver_one(). */
static int
mail_one(struct jobs *j)
{
	struct buf	 msg;
	PGresult	*res = NULL, *r2;
	json_object	*payload = NULL;
	const char	*v[4];
	char		 mid[300], err[256], delay[24];
	const char	*at;
	long long	 d;
	enum mail_outcome o;
	int		 rc = -1;

	buf_init(&msg, 1 << 20);
	if (!db_cmd(j, "BEGIN") || (res = db_run(j, S_CLAIM_MAIL, NULL)) == NULL)
		goto fail;
	if (PQntuples(res) == 0) {
		rc = db_cmd(j, "COMMIT") ? 0 : -1;
		goto out;
	}
	v[0] = PQgetvalue(res, 0, 0);
	if (strcmp(PQgetvalue(res, 0, 5), "t") != 0) {
		v[1] = "the recipient opted out or has no address";
		if ((r2 = db_run(j, S_MAIL_SKIP, v)) == NULL)
			goto fail;
		PQclear(r2);
		metrics_mail(j->m, MM_SKIPPED);
		rc = db_cmd(j, "COMMIT") ? 1 : -1;
		goto out;
	}
	payload = json_tokener_parse(PQgetvalue(res, 0, 2));
	if (mail_compose(j->cfg.smtp_from, PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4),
	    PQgetvalue(res, 0, 1), payload, v[0], time(NULL), &msg) != 0) {
		v[1] = "cannot compose the mail (bad address or kind)";
		if ((r2 = db_run(j, S_MAIL_SKIP, v)) == NULL)
			goto fail;
		PQclear(r2);
		metrics_mail(j->m, MM_FAILED);
		rc = db_cmd(j, "COMMIT") ? 1 : -1;
		goto out;
	}
	at = strchr(j->cfg.from_addr, '@');
	snprintf(mid, sizeof(mid), "<%s@%s>", v[0], at ? at + 1 : "taskman.invalid");
	v[1] = mid;
	if ((r2 = db_run(j, S_MAIL_SENDING, v)) == NULL)
		goto fail;
	PQclear(r2);
	if (!db_cmd(j, "COMMIT"))
		goto fail;

	o = mail_send(j->cfg.smtp_url, j->cfg.from_addr, PQgetvalue(res, 0, 3),
	    buf_cstr(&msg), msg.len, err, sizeof(err));
	d = -1;
	if (o == MAIL_RETRY)
		d = deliver_backoff_ms(atoi(PQgetvalue(res, 0, 6)) + 1, 0, j->cfg.backoff_scale);
	snprintf(delay, sizeof(delay), "%lld", d);
	v[1] = o == MAIL_SENT ? "sent" : d >= 0 ? "pending" : "failed";
	v[2] = o == MAIL_SENT ? NULL : err;
	v[3] = d >= 0 ? delay : NULL;
	/* autocommit; if this fails the row stays "sending": never re-sent */
	if ((r2 = db_run(j, S_MAIL_DONE, v)) == NULL)
		goto out;
	PQclear(r2);
	metrics_mail(j->m, o == MAIL_SENT ? MM_SENT : d >= 0 ? MM_RETRY : MM_FAILED);
	log_msg(o == MAIL_SENT ? LOG_DEBUG : LOG_WARN, "mail", "mail %s (%s): %s", v[0],
	    PQgetvalue(res, 0, 1), o == MAIL_SENT ? "sent" : err);
	rc = 1;
	goto out;
fail:
	db_rollback(j);
out:
	json_object_put(payload);
	PQclear(res);
	buf_free(&msg);
	return rc;
}

/* Periodic work and, without a relay, skipping the mails. */
static void
schedule(struct jobs *j)
{
	char		 hour[8];
	const char	*v[2] = { j->cfg.smtp_url ? "true" : "false", hour };
	PGresult	*res;

	snprintf(hour, sizeof(hour), "%d", j->cfg.digest_hour);
	if ((res = db_run(j, S_SCHEDULE, v)) != NULL) {
		if (atoi(PQgetvalue(res, 0, 0)) > 0)
			log_msg(LOG_DEBUG, "schedule", "queued %s", PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	if (j->conn != NULL && j->cfg.smtp_url == NULL &&
	    (res = db_run(j, S_MAIL_SKIP_ALL, NULL)) != NULL)
		PQclear(res);
}

/* Refreshes the gauges and the time of the next due attempt. */
static void
gauges(struct jobs *j)
{
	PGresult *res;

	metrics_follow(j);
	if ((res = db_run(j, S_GAUGES, NULL)) == NULL)
		return;
	metrics_jobs_gauges(j->m, strtoull(PQgetvalue(res, 0, 0), NULL, 10),
	    strtoull(PQgetvalue(res, 0, 2), NULL, 10),
	    strtoull(PQgetvalue(res, 0, 1), NULL, 10));
	j->next_due_ms = PQgetisnull(res, 0, 3) ? -1 : atoll(PQgetvalue(res, 0, 3));
	PQclear(res);
}

static void
run(struct jobs *j)
{
	long long	 t;
	long		 sleep_ms;
	int		 n;

	while (!stopping()) {
		if (j->conn == NULL && !db_connect(j)) {
			/* back off 0.5 s .. 10 s while PostgreSQL is away */
			j->reconnect_ms = j->reconnect_ms ? j->reconnect_ms * 2 : 500;
			if (j->reconnect_ms > 10000)
				j->reconnect_ms = 10000;
			wait_for(-1, j->reconnect_ms);
			continue;
		}
		j->reconnect_ms = 0;
		t = now_ms();
		if (t >= j->next_schedule_ms) {
			schedule(j);
			j->next_schedule_ms = t + j->cfg.schedule_ms;
		}
		while (j->conn != NULL && !stopping() && (n = deliver_one(j)) > 0)
			;
		while (j->conn != NULL && j->cfg.smtp_url != NULL && !stopping() &&
		    (n = mail_one(j)) > 0)
			;
		if (j->conn == NULL)
			continue;
		gauges(j);
		if (j->conn == NULL)
			continue;
		sleep_ms = j->cfg.poll_ms;
		if (j->next_due_ms >= 0 && j->next_due_ms + 1 < sleep_ms)
			sleep_ms = (long)j->next_due_ms + 1;
		t = j->next_schedule_ms - now_ms();
		if (t < sleep_ms)
			sleep_ms = t > 0 ? (long)t : 0;
		wait_for(PQsocket(j->conn), sleep_ms);
		db_notifies(j);
	}
}

int
main(void)
{
	struct jobs		 j;
	struct sigaction	 sa;
	sigset_t		 block;

	memset(&j, 0, sizeof(j));
	cfg_load(&j.cfg);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	if (deliver_global_init() != 0) {
		fprintf(stderr, "taskman-jobs: curl_global_init failed\n");
		return 1;
	}
	metrics_follow(&j);
	log_msg(LOG_INFO, "start", "taskman-jobs started (mail %s, private targets %s)",
	    j.cfg.smtp_url ? "on" : "off", j.cfg.allow_private ? "allowed" : "refused");
	run(&j);
	if (j.conn != NULL)
		PQfinish(j.conn);
	if (j.m != NULL)
		__atomic_store_n(&j.m->pid, 0, __ATOMIC_RELEASE);
	deliver_global_cleanup();
	log_msg(LOG_INFO, "stop", "taskman-jobs stopped");
	return 0;
}
