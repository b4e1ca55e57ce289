/*
 * metrics: Prometheus counters shared by every worker process.
 *
 * Each worker owns one slot of a shared memory region and is its only
 * writer; GET /metrics (on whichever worker nginx picks) sums all slots,
 * so a scrape sees the totals of all workers.  The region is a file when
 * TASKMAN_METRICS_FILE is set (workers started by spawn-fcgi or several
 * supervisors share it), else an anonymous shared mapping made by the
 * supervisor before it forks.  A replaced worker takes over its
 * predecessor's slot, so counters never go backwards.
 */
#ifndef TASKMAN_METRICS_H
#define TASKMAN_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define METRICS_SLOTS		256
#define METRICS_ROUTES		128	/* route table entries + 1 for "no route" */
#define METRICS_BUCKETS		14
#define METRICS_STATUSES	7	/* new ready in_progress blocked review done dropped */

struct metrics_hist {
	uint64_t	buckets[METRICS_BUCKETS];	/* cumulative at render time */
	uint64_t	count;
	uint64_t	sum_us;
};

struct metrics_slot {
	int32_t			pid;		/* owner, 0: free */
	int32_t			pad;
	uint64_t		requests[METRICS_ROUTES][5];	/* by route, status class */
	struct metrics_hist	request_duration;
	struct metrics_hist	db_duration;
	uint64_t		db_reconnects;
	uint64_t		auth_failures;
	uint64_t		logins_ok, logins_failed;
	uint64_t		tasks_created;
	uint64_t		transitions[METRICS_STATUSES][METRICS_STATUSES];
	uint64_t		rss_bytes;	/* a gauge, refreshed now and then */
	uint64_t		started_unix;
	/* Argon2 work: 1 while this worker hashes (the pool-wide cap counts these) */
	uint32_t		hashing;
	uint32_t		pad2;
	uint64_t		hashes;		/* Argon2 computations */
	uint64_t		hash_busy;	/* refused: the cap was reached */
};

/*
 * taskman-jobs processes (src/jobs/) share the region when they get the
 * workers' TASKMAN_METRICS_FILE: each claims one of these slots, and the
 * workers' GET /metrics renders them with everything else.  Counters are
 * summed over all slots; the queue gauges come from the live slot that
 * refreshed them last (every runner sees the same queue).
 */
#define METRICS_JOBS_SLOTS	16

enum metrics_delivery {
	MD_DELIVERED,		/* 2xx */
	MD_RETRY,		/* failed, will be retried */
	MD_GAVE_UP,		/* failed, schedule exhausted */
	MD_REFUSED,		/* target address not allowed */
	MD_SKIPPED,		/* owner lost access to the resource */
	MD_N
};
enum metrics_mail { MM_SENT, MM_RETRY, MM_FAILED, MM_SKIPPED, MM_N };

struct metrics_jobs_slot {
	int32_t		pid;		/* owner, 0: free */
	int32_t		pad;
	uint64_t	deliveries[MD_N];
	uint64_t	mails[MM_N];
	uint64_t	db_reconnects;
	/* gauges, refreshed by the owner */
	uint64_t	queue_depth;		/* pending webhook deliveries */
	uint64_t	mail_queue_depth;	/* pending mails */
	uint64_t	oldest_pending_ms;	/* age of the oldest pending delivery */
	uint64_t	gauges_at_ms;		/* when (CLOCK_REALTIME), 0: never */
};

struct metrics_region {
	uint64_t		magic;
	uint64_t		size;
	uint64_t		worker_restarts;	/* written by supervisors only */
	struct metrics_slot	slots[METRICS_SLOTS];
	struct metrics_jobs_slot jobs[METRICS_JOBS_SLOTS];
};

/*
 * Maps the region (the file at path, or anonymous when path is NULL).
 * Call once, before forking workers.  Returns NULL with err set on failure.
 */
struct metrics_region *metrics_open(const char *path, char *err, size_t errlen);
/* Claims a slot for the calling process; NULL when all are taken by live processes. */
struct metrics_slot   *metrics_claim(struct metrics_region *mr);

void	metrics_observe(struct metrics_hist *h, long us);
void	metrics_request(struct metrics_slot *s, int route_index, int status, long us);
/* from/to: task status names; unknown names are ignored. */
void	metrics_transition(struct metrics_slot *s, const char *from, const char *to);
void	metrics_login(struct metrics_slot *s, bool ok);
void	metrics_task_created(struct metrics_slot *s);
/*
 * The pool-wide cap on concurrent Argon2 work: marks this worker as hashing
 * and returns true if, counting every live worker of the region, at most
 * cap are; else unmarks it, counts a refusal and returns false.  Without a
 * region or slot it always allows.  Pair each true with metrics_hash_leave().
 */
bool	metrics_hash_enter(struct metrics_region *mr, struct metrics_slot *s, int cap);
void	metrics_hash_leave(struct metrics_slot *s);
/* Refreshes slow-moving gauges (resident memory). */
void	metrics_refresh(struct metrics_slot *s);

/* Claims a jobs slot for the calling process (like metrics_claim). */
struct metrics_jobs_slot *metrics_jobs_claim(struct metrics_region *mr);
void	metrics_delivery(struct metrics_jobs_slot *s, enum metrics_delivery outcome);
void	metrics_mail(struct metrics_jobs_slot *s, enum metrics_mail outcome);
void	metrics_jobs_gauges(struct metrics_jobs_slot *s, uint64_t depth,
	    uint64_t mail_depth, uint64_t oldest_ms);

/* Appends the Prometheus text exposition of all slots to out. */
void	metrics_render(const struct metrics_region *mr, struct buf *out);

#endif
