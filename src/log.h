/*
 * log: one JSON object per line on stderr (journald under systemd).
 * Each line goes out in a single write(2) so lines from several worker
 * processes sharing stderr never interleave.  Never pass a secret here.
 */
#ifndef TASKMAN_LOG_H
#define TASKMAN_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void	log_set_level(enum log_level min);
int	log_level_parse(const char *s, enum log_level *out);
int	log_enabled(enum log_level lvl);
/* msg is formatted printf-style; event is a short stable identifier. */
void	log_msg(enum log_level lvl, const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

struct json_object;
/* Writes obj (adding "time" and "level") as one line; takes no ownership. */
void	log_json(enum log_level lvl, struct json_object *obj);
/*
 * The same for the per-request line, batched: written with other lines
 * at most a second later, or when log_flush() is called (before the
 * worker waits for work) or any other line is written.
 */
void	log_json_batched(enum log_level lvl, struct json_object *obj);
void	log_flush(void);
/* Whether batched lines wait to be written. */
int	log_pending(void);

#endif
