#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "router.h"

#define METRICS_MAGIC	0x746d6d6574726331ULL	/* "tmmetrc1" */

/* upper bounds in microseconds; the last bucket is +Inf */
static const long bucket_us[METRICS_BUCKETS - 1] = {
	250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
	500000, 1000000, 2500000
};

static const char *const statuses[METRICS_STATUSES] = {
	"new", "ready", "in_progress", "blocked", "review", "done", "dropped"
};

struct metrics_region *
metrics_open(const char *path, char *err, size_t errlen)
{
	struct metrics_region	*mr;
	struct stat		 st;
	size_t			 size = sizeof(struct metrics_region);
	int			 fd = -1;

	if (path == NULL) {
		mr = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (mr == MAP_FAILED)
			goto fail;
		mr->magic = METRICS_MAGIC;
		mr->size = size;
		return mr;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    fstat(fd, &st) != 0)
		goto fail;
	/* a file of another layout (older build) is started afresh */
	if ((size_t)st.st_size != size && ftruncate(fd, 0) != 0)
		goto fail;
	if (ftruncate(fd, (off_t)size) != 0)
		goto fail;
	mr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mr == MAP_FAILED)
		goto fail;
	close(fd);
	if (mr->magic != METRICS_MAGIC || mr->size != size) {
		memset(mr, 0, size);
		mr->magic = METRICS_MAGIC;
		mr->size = size;
	}
	return mr;
fail:
	snprintf(err, errlen, "metrics region %s: %s", path ? path : "(anonymous)",
	    strerror(errno));
	if (fd >= 0)
		close(fd);
	return NULL;
}

struct metrics_slot *
metrics_claim(struct metrics_region *mr)
{
	int32_t	 me = (int32_t)getpid(), cur;
	int	 pass, i;

	/* first a free slot, then one whose owner is gone (take over its counts) */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < METRICS_SLOTS; i++) {
			struct metrics_slot *s = &mr->slots[i];

			cur = __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);
			if (cur == me)
				return s;
			if (pass == 0 && cur != 0)
				continue;
			if (pass == 1 && (cur == 0 || kill(cur, 0) == 0 || errno != ESRCH))
				continue;
			if (__atomic_compare_exchange_n(&s->pid, &cur, me, false,
			    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				s->started_unix = (uint64_t)time(NULL);
				/* a predecessor killed while hashing holds no place */
				__atomic_store_n(&s->hashing, 0, __ATOMIC_SEQ_CST);
				return s;
			}
		}
	return NULL;
}

/* Single writer per slot: relaxed atomic adds keep readers tear-free. */
#define INC(p, n)	__atomic_fetch_add((p), (uint64_t)(n), __ATOMIC_RELAXED)
#define LOAD(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v)	__atomic_store_n((p), (uint64_t)(v), __ATOMIC_RELAXED)

struct metrics_jobs_slot *
metrics_jobs_claim(struct metrics_region *mr)
{
	int32_t	 me = (int32_t)getpid(), cur;
	int	 pass, i;

	/* as metrics_claim(): a free slot, else a dead owner's (keep its counts) */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < METRICS_JOBS_SLOTS; i++) {
			struct metrics_jobs_slot *s = &mr->jobs[i];

			cur = __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);
			if (cur == me)
				return s;
			if (pass == 0 && cur != 0)
				continue;
			if (pass == 1 && (cur == 0 || kill(cur, 0) == 0 || errno != ESRCH))
				continue;
			if (__atomic_compare_exchange_n(&s->pid, &cur, me, false,
			    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return s;
		}
	return NULL;
}

void
metrics_delivery(struct metrics_jobs_slot *s, enum metrics_delivery outcome)
{
	if (s != NULL && outcome < MD_N)
		INC(&s->deliveries[outcome], 1);
}

void
metrics_mail(struct metrics_jobs_slot *s, enum metrics_mail outcome)
{
	if (s != NULL && outcome < MM_N)
		INC(&s->mails[outcome], 1);
}

void
metrics_jobs_gauges(struct metrics_jobs_slot *s, uint64_t depth,
    uint64_t mail_depth, uint64_t oldest_ms)
{
	struct timespec ts;

	if (s == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	STORE(&s->queue_depth, depth);
	STORE(&s->mail_queue_depth, mail_depth);
	STORE(&s->oldest_pending_ms, oldest_ms);
	STORE(&s->gauges_at_ms, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

void
metrics_observe(struct metrics_hist *h, long us)
{
	int b;

	if (us < 0)
		us = 0;
	for (b = 0; b < METRICS_BUCKETS - 1 && us > bucket_us[b]; b++)
		;
	INC(&h->buckets[b], 1);
	INC(&h->count, 1);
	INC(&h->sum_us, us);
}

void
metrics_request(struct metrics_slot *s, int route_index, int status, long us)
{
	int cls = status / 100 - 1;

	if (s == NULL)
		return;
	if (route_index < 0 || route_index >= METRICS_ROUTES - 1)
		route_index = METRICS_ROUTES - 1;
	if (cls < 0 || cls > 4)
		cls = 4;
	INC(&s->requests[route_index][cls], 1);
	metrics_observe(&s->request_duration, us);
	if (status == 401)
		INC(&s->auth_failures, 1);
}

static int
status_index(const char *name)
{
	for (int i = 0; i < METRICS_STATUSES; i++)
		if (name != NULL && strcmp(name, statuses[i]) == 0)
			return i;
	return -1;
}

void
metrics_transition(struct metrics_slot *s, const char *from, const char *to)
{
	int f = status_index(from), t = status_index(to);

	if (s != NULL && f >= 0 && t >= 0)
		INC(&s->transitions[f][t], 1);
}

void
metrics_login(struct metrics_slot *s, bool ok)
{
	if (s != NULL)
		INC(ok ? &s->logins_ok : &s->logins_failed, 1);
}

static bool slot_live(const struct metrics_slot *s);

/*
 * Each worker writes only its own flag, then counts all flags: of two
 * workers entering at once, each sees the other (sequentially consistent
 * store then loads), so the cap is never exceeded; at worst both back off.
 * Slots of dead processes do not count.
 */
bool
metrics_hash_enter(struct metrics_region *mr, struct metrics_slot *s, int cap)
{
	int	 busy = 0, i;

	if (mr == NULL || s == NULL)
		return true;
	__atomic_store_n(&s->hashing, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < METRICS_SLOTS; i++)
		if (__atomic_load_n(&mr->slots[i].hashing, __ATOMIC_SEQ_CST) != 0 &&
		    (&mr->slots[i] == s || slot_live(&mr->slots[i])))
			busy++;
	if (busy > cap) {
		__atomic_store_n(&s->hashing, 0, __ATOMIC_SEQ_CST);
		INC(&s->hash_busy, 1);
		return false;
	}
	INC(&s->hashes, 1);
	return true;
}

void
metrics_hash_leave(struct metrics_slot *s)
{
	if (s != NULL)
		__atomic_store_n(&s->hashing, 0, __ATOMIC_SEQ_CST);
}

void
metrics_task_created(struct metrics_slot *s)
{
	if (s != NULL)
		INC(&s->tasks_created, 1);
}

void
metrics_refresh(struct metrics_slot *s)
{
	FILE	*f;
	long	 pages = 0, rss = 0;

	if (s == NULL || (f = fopen("/proc/self/statm", "r")) == NULL)
		return;
	if (fscanf(f, "%ld %ld", &pages, &rss) == 2)
		__atomic_store_n(&s->rss_bytes, (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE),
		    __ATOMIC_RELAXED);
	fclose(f);
}

static bool
slot_live(const struct metrics_slot *s)
{
	int32_t pid = __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);

	return pid != 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

static void
render_jobs(const struct metrics_region *mr, struct buf *out)
{
	static const char *const dnames[MD_N] = { "delivered", "retry", "gave_up",
	    "refused", "skipped" };
	static const char *const mnames[MM_N] = { "sent", "retry", "failed", "skipped" };
	const struct metrics_jobs_slot	*g = NULL;
	uint64_t			 n, best = 0;
	int				 i, k, live = 0;

	buf_puts(out, "# HELP taskman_webhook_deliveries_total Webhook delivery "
	    "attempts by taskman-jobs, by outcome.\n"
	    "# TYPE taskman_webhook_deliveries_total counter\n");
	for (k = 0; k < MD_N; k++) {
		for (n = 0, i = 0; i < METRICS_JOBS_SLOTS; i++)
			n += LOAD(&mr->jobs[i].deliveries[k]);
		buf_printf(out, "taskman_webhook_deliveries_total{outcome=\"%s\"} %llu\n",
		    dnames[k], (unsigned long long)n);
	}
	buf_puts(out, "# HELP taskman_mails_total Mails handled by taskman-jobs, by outcome.\n"
	    "# TYPE taskman_mails_total counter\n");
	for (k = 0; k < MM_N; k++) {
		for (n = 0, i = 0; i < METRICS_JOBS_SLOTS; i++)
			n += LOAD(&mr->jobs[i].mails[k]);
		buf_printf(out, "taskman_mails_total{outcome=\"%s\"} %llu\n",
		    mnames[k], (unsigned long long)n);
	}
	for (i = 0; i < METRICS_JOBS_SLOTS; i++) {
		const struct metrics_jobs_slot *s = &mr->jobs[i];
		int32_t pid = __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);

		if (pid == 0 || (kill(pid, 0) != 0 && errno == ESRCH))
			continue;
		live++;
		if (LOAD(&s->gauges_at_ms) > best) {
			best = LOAD(&s->gauges_at_ms);
			g = s;
		}
	}
	buf_printf(out, "# HELP taskman_jobs_runners Live taskman-jobs processes.\n"
	    "# TYPE taskman_jobs_runners gauge\ntaskman_jobs_runners %d\n", live);
	if (g == NULL)
		return;
	buf_printf(out, "# HELP taskman_webhook_queue_depth Pending webhook deliveries "
	    "(of active webhooks).\n# TYPE taskman_webhook_queue_depth gauge\n"
	    "taskman_webhook_queue_depth %llu\n"
	    "# HELP taskman_webhook_oldest_pending_seconds Age of the oldest pending "
	    "webhook delivery.\n# TYPE taskman_webhook_oldest_pending_seconds gauge\n"
	    "taskman_webhook_oldest_pending_seconds %.3f\n"
	    "# HELP taskman_mail_queue_depth Mails waiting to be sent.\n"
	    "# TYPE taskman_mail_queue_depth gauge\ntaskman_mail_queue_depth %llu\n",
	    (unsigned long long)LOAD(&g->queue_depth),
	    (double)LOAD(&g->oldest_pending_ms) / 1e3,
	    (unsigned long long)LOAD(&g->mail_queue_depth));
}

static void
render_hist(struct buf *out, const char *name, const char *help,
    const struct metrics_region *mr, size_t offset)
{
	uint64_t	b[METRICS_BUCKETS] = { 0 }, count = 0, sum = 0, cum = 0;
	int		i, k;

	for (i = 0; i < METRICS_SLOTS; i++) {
		/* offset comes from offsetof(), so the member is aligned */
		const struct metrics_hist *h = (const struct metrics_hist *)
		    (const void *)((const char *)&mr->slots[i] + offset);

		for (k = 0; k < METRICS_BUCKETS; k++)
			b[k] += LOAD(&h->buckets[k]);
		count += LOAD(&h->count);
		sum += LOAD(&h->sum_us);
	}
	buf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (k = 0; k < METRICS_BUCKETS; k++) {
		cum += b[k];
		if (k < METRICS_BUCKETS - 1)
			buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name,
			    (double)bucket_us[k] / 1e6, (unsigned long long)cum);
		else
			buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n", name,
			    (unsigned long long)cum);
	}
	buf_printf(out, "%s_sum %.6f\n%s_count %llu\n", name, (double)sum / 1e6,
	    name, (unsigned long long)count);
}

static uint64_t
sum_field(const struct metrics_region *mr, size_t offset)
{
	uint64_t t = 0;

	for (int i = 0; i < METRICS_SLOTS; i++)
		t += LOAD((const uint64_t *)(const void *)
		    ((const char *)&mr->slots[i] + offset));
	return t;
}

void
metrics_render(const struct metrics_region *mr, struct buf *out)
{
	static const char *const cls[5] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
	uint64_t	 n, rss = 0;
	int		 live = 0, i, rt, c, f, t;

	buf_puts(out, "# HELP taskman_http_requests_total Requests answered by the "
	    "workers, by route template, method and status class.\n"
	    "# TYPE taskman_http_requests_total counter\n");
	for (rt = 0; rt < METRICS_ROUTES; rt++) {
		if (rt < METRICS_ROUTES - 1 && (size_t)rt >= router_nroutes)
			continue;
		for (c = 0; c < 5; c++) {
			for (n = 0, i = 0; i < METRICS_SLOTS; i++)
				n += LOAD(&mr->slots[i].requests[rt][c]);
			if (n == 0)
				continue;
			if (rt == METRICS_ROUTES - 1)
				buf_printf(out, "taskman_http_requests_total{route=\"(none)\","
				    "method=\"\",status=\"%s\"} %llu\n", cls[c],
				    (unsigned long long)n);
			else
				buf_printf(out, "taskman_http_requests_total{route=\"%s\","
				    "method=\"%s\",status=\"%s\"} %llu\n",
				    router_routes[rt].pattern,
				    http_method_name(router_routes[rt].method), cls[c],
				    (unsigned long long)n);
		}
	}
	render_hist(out, "taskman_http_request_duration_seconds",
	    "Time from request parsed to response written, in the worker.", mr,
	    offsetof(struct metrics_slot, request_duration));
	render_hist(out, "taskman_db_roundtrip_seconds",
	    "Time of one pipelined database round trip.", mr,
	    offsetof(struct metrics_slot, db_duration));
#define COUNTER(name, help, field) \
	buf_printf(out, "# HELP " name " " help "\n# TYPE " name " counter\n" name " %llu\n", \
	    (unsigned long long)sum_field(mr, offsetof(struct metrics_slot, field)))
	COUNTER("taskman_db_reconnects_total", "Database connections opened (the first included).",
	    db_reconnects);
	COUNTER("taskman_auth_failures_total", "Requests answered 401.", auth_failures);
	buf_printf(out, "# HELP taskman_logins_total Login attempts by result.\n"
	    "# TYPE taskman_logins_total counter\n"
	    "taskman_logins_total{result=\"success\"} %llu\n"
	    "taskman_logins_total{result=\"failure\"} %llu\n",
	    (unsigned long long)sum_field(mr, offsetof(struct metrics_slot, logins_ok)),
	    (unsigned long long)sum_field(mr, offsetof(struct metrics_slot, logins_failed)));
	COUNTER("taskman_tasks_created_total", "Tasks created.", tasks_created);
	COUNTER("taskman_password_hashes_total", "Argon2id computations (logins, "
	    "unknown accounts included, registrations, password changes).", hashes);
	COUNTER("taskman_password_hash_busy_total", "Requests refused with 503 "
	    "because the pool's cap on concurrent Argon2id work was reached.", hash_busy);
#undef COUNTER
	buf_puts(out, "# HELP taskman_task_transitions_total Task status changes.\n"
	    "# TYPE taskman_task_transitions_total counter\n");
	for (f = 0; f < METRICS_STATUSES; f++)
		for (t = 0; t < METRICS_STATUSES; t++) {
			for (n = 0, i = 0; i < METRICS_SLOTS; i++)
				n += LOAD(&mr->slots[i].transitions[f][t]);
			if (n > 0)
				buf_printf(out, "taskman_task_transitions_total{from=\"%s\","
				    "to=\"%s\"} %llu\n", statuses[f], statuses[t],
				    (unsigned long long)n);
		}
	for (i = 0; i < METRICS_SLOTS; i++)
		if (slot_live(&mr->slots[i])) {
			live++;
			rss += LOAD(&mr->slots[i].rss_bytes);
		}
	buf_printf(out, "# HELP taskman_worker_restarts_total Workers that died "
	    "unexpectedly and were started again.\n# TYPE taskman_worker_restarts_total counter\n"
	    "taskman_worker_restarts_total %llu\n",
	    (unsigned long long)LOAD(&mr->worker_restarts));
	buf_printf(out, "# HELP taskman_workers Live worker processes.\n"
	    "# TYPE taskman_workers gauge\ntaskman_workers %d\n"
	    "# HELP taskman_workers_resident_memory_bytes Resident memory of all live workers.\n"
	    "# TYPE taskman_workers_resident_memory_bytes gauge\n"
	    "taskman_workers_resident_memory_bytes %llu\n", live, (unsigned long long)rss);
	render_jobs(mr, out);
}
