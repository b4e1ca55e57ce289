/*
 * coverage: the coverage build (scripts/check: --coverage
 * -DTASKMAN_COVERAGE) writes gcov's counters after every request, so the
 * counts survive a worker that is killed (the fault and crash tests) or
 * leaves with _exit(), which skips gcov's exit handler.  In any other
 * build coverage_flush() is nothing.
 */
#ifndef TASKMAN_COVERAGE_H
#define TASKMAN_COVERAGE_H

#ifdef TASKMAN_COVERAGE
void	__gcov_dump(void);
void	__gcov_reset(void);

static inline void
coverage_flush(void)
{
	__gcov_dump();		/* adds this process's counts to the .gcda files */
	__gcov_reset();		/* ...so they are not added twice */
}
#else
static inline void
coverage_flush(void)
{
}
#endif

#endif
