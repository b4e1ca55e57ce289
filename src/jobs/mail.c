#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "jobs/mail.h"

#define MAIL_TEXT_MAX	300	/* bytes of one user text in a mail */

bool
mail_addr_ok(const char *addr)
{
	const char	*at = NULL;
	size_t		 n;

	if (addr == NULL || (n = strlen(addr)) < 3 || n > 254)
		return false;
	for (const char *p = addr; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || strchr("<>,;:\"()[]\\", c) != NULL)
			return false;
		if (c == '@') {
			if (at != NULL)
				return false;
			at = p;
		}
	}
	return at != NULL && at != addr && at[1] != '\0';
}

bool
mail_from_ok(const char *from, char *addr, size_t addrlen)
{
	const char	*lt, *gt;
	size_t		 n;

	if (from == NULL || *from == '\0')
		return false;
	for (const char *p = from; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	lt = strchr(from, '<');
	gt = strrchr(from, '>');
	if (lt == NULL) {
		if (!mail_addr_ok(from) || strlen(from) >= addrlen)
			return false;
		snprintf(addr, addrlen, "%s", from);
		return true;
	}
	if (gt == NULL || gt < lt || gt[1] != '\0' || (n = (size_t)(gt - lt - 1)) >= addrlen)
		return false;
	memcpy(addr, lt + 1, n);
	addr[n] = '\0';
	return mail_addr_ok(addr);
}

void
mail_date(time_t t, char out[40])
{
	/* not strftime: %a and %b follow the locale */
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7],
	    tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
}

/*
 * Appends user text s, cut at MAIL_TEXT_MAX bytes (on a UTF-8 boundary),
 * with every control character (CR and LF included) made a space: it can
 * neither end a header nor start a line of its own.
 */
static void
put_text(struct buf *b, const char *s)
{
	size_t n;

	if (s == NULL)
		s = "";
	n = strlen(s);
	if (n > MAIL_TEXT_MAX) {
		n = MAIL_TEXT_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		buf_putc(b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
	if (strlen(s) > n)
		buf_puts(b, "...");
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

int
mail_compose(const char *from, const char *to, const char *name,
    const char *kind, json_object *payload, const char *id, time_t now,
    struct buf *out)
{
	const char	*subject, *domain, *at;
	char		 date[40], fromaddr[256];
	json_object	*task = NULL, *tasks = NULL, *by = NULL;

	if (!mail_addr_ok(to) || !mail_from_ok(from, fromaddr, sizeof(fromaddr)))
		return -1;
	if (strcmp(kind, "assignment") == 0)
		subject = "You were assigned a task";
	else if (strcmp(kind, "digest") == 0)
		subject = "Your tasks due within 24 hours";
	else if (strcmp(kind, "invitation") == 0)
		subject = "You were invited to a project";
	else
		return -1;
	at = strchr(fromaddr, '@');
	domain = at ? at + 1 : "taskman.invalid";
	mail_date(now, date);
	/* every header value is ours or a checked address: no user text */
	buf_printf(out, "Date: %s\r\nFrom: %s\r\nTo: <%s>\r\nSubject: %s\r\n"
	    "Message-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\n",
	    date, from, to, subject, id, domain);

	buf_puts(out, "Hello");
	if (name != NULL && *name) {
		buf_putc(out, ' ');
		put_text(out, name);
	}
	buf_puts(out, ",\r\n\r\n");
	if (strcmp(kind, "assignment") == 0) {
		json_object_object_get_ex(payload, "task", &task);
		json_object_object_get_ex(payload, "by", &by);
		if (by != NULL && jstr(by, "username") != NULL) {
			put_text(out, jstr(by, "display_name") ? jstr(by, "display_name") :
			    jstr(by, "username"));
			buf_puts(out, " assigned you a task:\r\n\r\n  ");
		} else
			buf_puts(out, "you were assigned a task:\r\n\r\n  ");
		put_text(out, jstr(task, "title"));
		buf_puts(out, "\r\n");
		if (jstr(task, "due_at") != NULL) {
			buf_puts(out, "  due ");
			put_text(out, jstr(task, "due_at"));
			buf_puts(out, "\r\n");
		}
		buf_puts(out, "  id ");
		put_text(out, jstr(task, "id"));
		buf_puts(out, "\r\n");
	} else if (strcmp(kind, "digest") == 0) {
		json_object_object_get_ex(payload, "tasks", &tasks);
		buf_puts(out, "these open tasks of yours are due within 24 hours:\r\n\r\n");
		for (size_t i = 0; tasks != NULL && i < json_object_array_length(tasks); i++) {
			json_object *t = json_object_array_get_idx(tasks, i);

			buf_puts(out, "- ");
			put_text(out, jstr(t, "title"));
			buf_puts(out, "\r\n  due ");
			put_text(out, jstr(t, "due_at"));
			buf_puts(out, "\r\n");
		}
	} else {
		buf_puts(out, "you were invited to the project ");
		put_text(out, jstr(payload, "project_name"));
		buf_puts(out, ".\r\n");
		if (jstr(payload, "accept_url") != NULL) {
			buf_puts(out, "Accept the invitation at ");
			put_text(out, jstr(payload, "accept_url"));
			buf_puts(out, "\r\n");
		}
	}
	buf_puts(out, "\r\n-- \r\ntaskman. To stop these mails: PATCH /api/v1/users/me "
	    "{\"notify_email\": false}\r\n");
	return out->failed ? -1 : 0;
}

struct upload {
	const char	*p;
	size_t		 left;
};

static size_t
read_msg(char *dst, size_t size, size_t n, void *u)
{
	struct upload	*up = u;
	size_t		 k = size * n < up->left ? size * n : up->left;

	memcpy(dst, up->p, k);
	up->p += k;
	up->left -= k;
	return k;
}

enum mail_outcome
mail_send(const char *smtp_url, const char *from_addr, const char *to,
    const char *msg, size_t len, char *err, size_t errlen)
{
	struct upload		 up = { msg, len };
	struct curl_slist	*rcpt = NULL;
	char			 url[1024], from[300], rcptline[300];
	long			 ssl = CURLUSESSL_NONE;
	enum mail_outcome	 o = MAIL_FAILED;
	CURL			*c;
	CURLcode		 cc;

	err[0] = '\0';
	if (strncmp(smtp_url, "smtp+starttls://", 16) == 0) {
		snprintf(url, sizeof(url), "smtp://%s", smtp_url + 16);
		ssl = CURLUSESSL_ALL;
	} else
		snprintf(url, sizeof(url), "%s", smtp_url);
	snprintf(from, sizeof(from), "<%s>", from_addr);
	snprintf(rcptline, sizeof(rcptline), "<%s>", to);
	if ((c = curl_easy_init()) == NULL || (rcpt = curl_slist_append(NULL, rcptline)) == NULL) {
		snprintf(err, errlen, "out of memory");
		o = MAIL_RETRY;
		goto out;
	}
	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USE_SSL, ssl) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROXY, "") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_msg) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READDATA, &up) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L) != CURLE_OK) {
		snprintf(err, errlen, "could not set up the SMTP request");
		o = MAIL_RETRY;
		goto out;
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		o = MAIL_SENT;
	else {
		/* only failures before anything was handed over are retried */
		o = cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
		    cc == CURLE_COULDNT_RESOLVE_PROXY ? MAIL_RETRY : MAIL_FAILED;
		snprintf(err, errlen, "%s", curl_easy_strerror(cc));
	}
out:
	curl_slist_free_all(rcpt);
	if (c != NULL)
		curl_easy_cleanup(c);
	return o;
}
