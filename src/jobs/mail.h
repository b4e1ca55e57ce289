/*
 * mail: the notification mails (API.md section 9) -- composing a plain
 * text message with a correct Date and Message-ID, in which user text
 * (task titles, names) appears only in the body, cleaned of control
 * characters, so it can never add a header; and sending it through the
 * relay in TASKMAN_SMTP_URL with libcurl.  Prefix mail_.
 *
 * TASKMAN_SMTP_URL: smtp://host[:port] (plain), smtp+starttls://host[:port]
 * (STARTTLS required), smtps://host[:port] (TLS from the start); user:password@
 * before the host logs in.
 */
#ifndef TASKMAN_JOBS_MAIL_H
#define TASKMAN_JOBS_MAIL_H

#include <stdbool.h>
#include <time.h>

#include <json-c/json.h>

#include "buf.h"

enum mail_outcome {
	MAIL_SENT,
	MAIL_RETRY,	/* nothing was handed over (no connection): try later */
	MAIL_FAILED	/* refused or unknown: not retried (at most once) */
};

/* Whether addr is a plain addr-spec safe in a header and an SMTP command. */
bool	mail_addr_ok(const char *addr);
/*
 * Whether from is a safe From value: "Name <addr>" or "addr", printable
 * ASCII only; the address part is copied into addr (for MAIL FROM).
 */
bool	mail_from_ok(const char *from, char *addr, size_t addrlen);
/* RFC 5322 date of t in UTC, "Sat, 05 Dec 2026 23:50:50 +0000". */
void	mail_date(time_t t, char out[40]);

/*
 * Composes the mail of kind ("assignment", "digest", "invitation") from
 * payload (mail_outbox.payload) to address `to` (greeting name `name`,
 * may be ""), into out (CRLF line ends).  id: the outbox row's uuid,
 * which makes the Message-ID.  Returns 0, -1 for an unknown kind or a
 * bad address.
 */
int	mail_compose(const char *from, const char *to, const char *name,
	    const char *kind, json_object *payload, const char *id, time_t now,
	    struct buf *out);

/* Sends msg to `to` through smtp_url. err gets a reason on failure. */
enum mail_outcome mail_send(const char *smtp_url, const char *from_addr,
	    const char *to, const char *msg, size_t len, char *err, size_t errlen);

#endif
