#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "coverage.h"
#include "supervisor.h"

#define SUP_MAX_WORKERS		256
#define SUP_STOP_TIMEOUT_S	30	/* then SIGKILL */
#define SUP_CRASH_WINDOW_S	1	/* a worker dying sooner is respawned after a pause */

struct slot {
	pid_t	 pid;		/* 0: empty, to be (re)spawned */
	time_t	 started;
	time_t	 respawn_at;
};

static pid_t
spawn(struct slot *s, pid_t parent, const sigset_t *orig,
    int (*worker)(void *), void *arg)
{
	pid_t	pid = fork();
	int	rc;

	if (pid < 0) {
		log_msg(LOG_ERROR, "fork_failed", "%s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* A worker never outlives its supervisor. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0);
		sigprocmask(SIG_SETMASK, orig, NULL);
		rc = worker(arg);
		coverage_flush();	/* _exit() skips gcov's own */
		_exit(rc);
	}
	s->pid = pid;
	s->started = time(NULL);
	return pid;
}

int
supervisor_run(int nworkers, int (*worker)(void *), void *arg,
    uint64_t *restarts)
{
	struct slot	 slots[SUP_MAX_WORKERS];
	sigset_t	 set, orig;
	siginfo_t	 info;
	struct timespec	 tick = { 1, 0 };
	pid_t		 parent = getpid(), pid;
	time_t		 now, stop_deadline = 0;
	bool		 stopping = false;
	int		 sig, status, alive, i;

	if (nworkers > SUP_MAX_WORKERS)
		nworkers = SUP_MAX_WORKERS;
	memset(slots, 0, sizeof(slots));
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Signals are taken synchronously with sigtimedwait: no handlers. */
	sigprocmask(SIG_BLOCK, &set, &orig);
	log_msg(LOG_INFO, "supervisor_start", "starting %d workers", nworkers);

	for (;;) {
		now = time(NULL);
		alive = 0;
		for (i = 0; i < nworkers; i++) {
			if (slots[i].pid == 0 && !stopping && now >= slots[i].respawn_at)
				spawn(&slots[i], parent, &orig, worker, arg);
			if (slots[i].pid > 0)
				alive++;
		}
		if (stopping && alive == 0)
			break;
		if (stopping && now >= stop_deadline) {
			log_msg(LOG_WARN, "supervisor_kill",
			    "workers did not stop in %d s; killing them", SUP_STOP_TIMEOUT_S);
			for (i = 0; i < nworkers; i++)
				if (slots[i].pid > 0)
					kill(slots[i].pid, SIGKILL);
			stop_deadline = now + SUP_STOP_TIMEOUT_S;
		}
		sig = sigtimedwait(&set, &info, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			if (!stopping) {
				log_msg(LOG_INFO, "supervisor_stop",
				    "stopping workers after their requests in flight");
				stop_deadline = time(NULL) + SUP_STOP_TIMEOUT_S;
			}
			stopping = true;
			for (i = 0; i < nworkers; i++)
				if (slots[i].pid > 0)
					kill(slots[i].pid, SIGTERM);
		} else if (sig == SIGHUP && !stopping) {
			log_msg(LOG_INFO, "supervisor_reload", "replacing workers");
			for (i = 0; i < nworkers; i++)
				if (slots[i].pid > 0)
					kill(slots[i].pid, SIGTERM);
		}
		/* Reap whatever ended, whichever signal woke us. */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < nworkers; i++) {
				if (slots[i].pid != pid)
					continue;
				if (!stopping && !(WIFEXITED(status) &&
				    WEXITSTATUS(status) == 0) && restarts != NULL)
					__atomic_fetch_add(restarts, 1, __ATOMIC_RELAXED);
				if (!stopping && !(WIFEXITED(status) &&
				    WEXITSTATUS(status) == 0))
					log_msg(LOG_ERROR, "worker_died",
					    "worker %ld ended with %s %d", (long)pid,
					    WIFSIGNALED(status) ? "signal" : "status",
					    WIFSIGNALED(status) ? WTERMSIG(status) :
					    WEXITSTATUS(status));
				slots[i].respawn_at = time(NULL) -
				    slots[i].started < SUP_CRASH_WINDOW_S ?
				    time(NULL) + SUP_CRASH_WINDOW_S : 0;
				slots[i].pid = 0;
			}
		}
	}
	log_msg(LOG_INFO, "supervisor_exit", "all workers stopped");
	return 0;
}
