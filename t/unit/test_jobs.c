/*
 * taskman-jobs' pure parts (src/jobs/): the signature (a vector computed
 * independently with Python's hmac), the refused address ranges, the
 * retry schedule, and mail composition (Date, Message-ID, no header from
 * user text).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <criterion/criterion.h>

#include "jobs/deliver.h"
#include "jobs/mail.h"

Test(jobs, signature_matches_an_independent_hmac)
{
	char sig[DELIVER_SIG_MAX];

	cr_assert_eq(deliver_sign("0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", 1700000000LL, "{\"a\":1}", 7, sig), 0);
	cr_expect_str_eq(sig, "t=1700000000,v1="
	    "2c362ea0cde6ec3b3f3c417d269bfba1f15017c58e6f39c37535a01e2d694de6");
}

static bool
blocked(const char *ip)
{
	struct sockaddr_in	s4;
	struct sockaddr_in6	s6;

	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (inet_pton(AF_INET, ip, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		return deliver_addr_blocked((struct sockaddr *)&s4, sizeof(s4));
	}
	cr_assert_eq(inet_pton(AF_INET6, ip, &s6.sin6_addr), 1, "%s", ip);
	s6.sin6_family = AF_INET6;
	return deliver_addr_blocked((struct sockaddr *)&s6, sizeof(s6));
}

Test(jobs, private_loopback_link_local_multicast_are_refused)
{
	static const char *const refused[] = {
		"127.0.0.1", "127.255.0.9", "0.0.0.0", "10.1.2.3", "172.16.0.1",
		"172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
		"224.0.0.1", "239.255.255.250", "255.255.255.255", "192.0.2.1",
		"::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "2001:db8::1",
		NULL
	};
	static const char *const allowed[] = {
		"93.184.216.34", "8.8.8.8", "172.32.0.1", "172.15.255.255", "100.128.0.1",
		"2606:4700::1111", "::ffff:93.184.216.34", NULL
	};

	for (int i = 0; refused[i]; i++)
		cr_expect(blocked(refused[i]), "%s should be refused", refused[i]);
	for (int i = 0; allowed[i]; i++)
		cr_expect(!blocked(allowed[i]), "%s should be allowed", allowed[i]);
	cr_expect(deliver_addr_blocked(NULL, 0));
}

Test(jobs, backoff_schedule_and_three_day_window)
{
	static const long long want[] = { 60000, 300000, 1800000, 7200000, 21600000,
	    21600000, 21600000 };

	for (int i = 0; i < 7; i++)
		cr_expect_eq(deliver_backoff_ms(i + 1, 0, 1.0), want[i], "attempt %d", i + 1);
	cr_expect_eq(deliver_window_ms(1.0), 259200000LL);
	/* the next attempt would start after 3 days: give up */
	cr_expect_eq(deliver_backoff_ms(9, 259200000LL - 1000, 1.0), -1);
	cr_expect_eq(deliver_backoff_ms(9, 259200000LL - 21600000LL, 1.0), 21600000LL);
	/* scaled for tests */
	cr_expect_eq(deliver_backoff_ms(1, 0, 0.001), 60);
	cr_expect_eq(deliver_window_ms(0.001), 259200);
}

Test(jobs, mail_headers_are_ours_and_user_text_stays_in_the_body)
{
	struct buf	 b;
	json_object	*p = json_tokener_parse("{\"task\":{\"id\":\"t1\",\"title\":"
	    "\"Evil\\r\\nBcc: victim@example.com\\r\\n\\r\\nx\",\"due_at\":null},"
	    "\"by\":{\"username\":\"boss\",\"display_name\":\"B\\nX\"}}");
	const char	*s, *end;

	buf_init(&b, 0);
	cr_assert_eq(mail_compose("taskman <noreply@example.org>", "alice@example.com",
	    "Ann\r\nCc: x@y.z", "assignment", p, "0d6c0000-0000-4000-8000-000000000001",
	    (time_t)1764978650, &b), 0);
	s = buf_cstr(&b);
	end = strstr(s, "\r\n\r\n");
	cr_assert_not_null(end);
	cr_expect(strncmp(s, "Date: Fri, 05 Dec 2025 23:50:50 +0000\r\n", 39) == 0, "%s", s);
	cr_expect(strstr(s, "\r\nMessage-ID: <0d6c0000-0000-4000-8000-000000000001@example.org>\r\n")
	    < end);
	cr_expect(strstr(s, "\r\nTo: <alice@example.com>\r\n") < end);
	cr_expect(strstr(s, "Bcc") > end, "user text reached the header block");
	cr_expect(strstr(s, "Cc: x") > end);
	cr_expect(strstr(end, "Evil  Bcc: victim@example.com    x\r\n") != NULL, "%s", end);
	cr_expect(strstr(end, "Hello Ann  Cc: x@y.z,") != NULL, "%s", end);
	/* no bare LF anywhere: every line ends CRLF */
	for (const char *q = s; (q = strchr(q, '\n')) != NULL; q++)
		cr_assert(q > s && q[-1] == '\r', "bare LF at %ld", (long)(q - s));
	buf_free(&b);

	buf_init(&b, 0);
	cr_expect_eq(mail_compose("taskman <noreply@example.org>", "a@b.c\r\nBcc: d@e.f",
	    "", "digest", p, "x", 0, &b), -1, "a bad address is refused");
	cr_expect_eq(mail_compose("taskman <noreply@example.org>", "a@b.c", "", "spam", p,
	    "x", 0, &b), -1, "an unknown kind is refused");
	buf_free(&b);
	json_object_put(p);
}

Test(jobs, addresses_and_from)
{
	char a[256];

	cr_expect(mail_addr_ok("a@b.c"));
	cr_expect(!mail_addr_ok("a@b.c>"));
	cr_expect(!mail_addr_ok("a b@c.d"));
	cr_expect(!mail_addr_ok("ab.c"));
	cr_expect(!mail_addr_ok("a@@b"));
	cr_expect(mail_from_ok("taskman <noreply@example.org>", a, sizeof(a)));
	cr_expect_str_eq(a, "noreply@example.org");
	cr_expect(mail_from_ok("noreply@example.org", a, sizeof(a)));
	cr_expect(!mail_from_ok("x <a@b.c>\r\nBcc: e@f.g", a, sizeof(a)));
	cr_expect(!mail_from_ok("x <a@b.c", a, sizeof(a)));
}

Test(jobs, more_refused_ranges_and_other_families)
{
	static const char *const refused[] = {
		"fec0::1", "100::1", "::10.0.0.1", "64:ff9b::7f00:1", "198.18.0.1",
		"203.0.113.9", "198.51.100.7", "192.0.0.8", NULL
	};
	static const char *const allowed[] = {
		"100::1:0:0:0:1", "2001:db9::1", "64:ff9b::808:808", "fe00::1", NULL
	};
	struct sockaddr_in	s4;
	struct sockaddr		un;

	for (int i = 0; refused[i]; i++)
		cr_expect(blocked(refused[i]), "%s should be refused", refused[i]);
	for (int i = 0; allowed[i]; i++)
		cr_expect(!blocked(allowed[i]), "%s should be allowed", allowed[i]);
	/* a unix socket, and an IPv4 address too short to be one: never */
	memset(&un, 0, sizeof(un));
	un.sa_family = AF_UNIX;
	cr_expect(deliver_addr_blocked(&un, sizeof(un)));
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	cr_expect(deliver_addr_blocked((struct sockaddr *)&s4, 2));
}

Test(jobs, digest_invitation_and_anonymous_assignment_mails)
{
	struct buf	 b;
	json_object	*d = json_tokener_parse("{\"day\":\"2025-12-05\",\"tasks\":["
	    "{\"id\":\"a\",\"title\":\"First\",\"due_at\":\"2025-12-06T08:00:00.000000Z\"},"
	    "{\"id\":\"b\",\"title\":\"Second\\r\\nTo: x@y.z\",\"due_at\":\"2025-12-06T09:00:00.000000Z\"}]}");
	json_object	*inv = json_tokener_parse("{\"project_name\":\"Apollo\","
	    "\"accept_url\":\"https://app.example/i/abc\"}");
	json_object	*as = json_tokener_parse("{\"task\":{\"id\":\"t9\",\"title\":\"Lonely\","
	    "\"due_at\":\"2025-12-07T00:00:00.000000Z\"}}");
	char		 title[400];
	const char	*cut;
	json_object	*lp;
	const char	*s, *end;

	buf_init(&b, 0);
	cr_assert_eq(mail_compose("noreply@example.org", "bob@example.com", NULL, "digest", d,
	    "m1", (time_t)1764978650, &b), 0);
	s = buf_cstr(&b);
	end = strstr(s, "\r\n\r\n");
	cr_assert_not_null(end);
	cr_expect(strstr(s, "Subject: Your tasks due within 24 hours\r\n") < end);
	cr_expect(strstr(s, "From: noreply@example.org\r\n") < end);
	cr_expect(strstr(end, "Hello,\r\n") != NULL, "no name: no space before the comma");
	cr_expect(strstr(end, "- First\r\n  due 2025-12-06T08:00:00.000000Z\r\n") != NULL, "%s", end);
	cr_expect(strstr(end, "- Second  To: x@y.z\r\n") != NULL, "%s", end);
	buf_free(&b);

	buf_init(&b, 0);
	cr_assert_eq(mail_compose("taskman <noreply@example.org>", "carol@example.com", "Carol",
	    "invitation", inv, "m2", 0, &b), 0);
	s = buf_cstr(&b);
	cr_expect(strstr(s, "Subject: You were invited to a project\r\n") != NULL);
	cr_expect(strstr(s, "the project Apollo.\r\nAccept the invitation at "
	    "https://app.example/i/abc\r\n") != NULL, "%s", s);
	buf_free(&b);

	buf_init(&b, 0);
	cr_assert_eq(mail_compose("taskman <noreply@example.org>", "dan@example.com", "Dan",
	    "assignment", as, "m3", 0, &b), 0);
	s = buf_cstr(&b);
	cr_expect(strstr(s, "you were assigned a task:\r\n\r\n  Lonely\r\n"
	    "  due 2025-12-07T00:00:00.000000Z\r\n  id t9\r\n") != NULL, "%s", s);
	buf_free(&b);

	/* user text is cut at 300 bytes, on a UTF-8 boundary, with "..." */
	memset(title, 'a', 299);
	memcpy(title + 299, "\xc3\xa9", 2);	/* é straddles the cut */
	memcpy(title + 301, "tail", 5);
	lp = json_object_new_object();
	json_object_object_add(lp, "project_name", json_object_new_string(title));
	buf_init(&b, 0);
	cr_assert_eq(mail_compose("noreply@example.org", "erin@example.com", "Erin",
	    "invitation", lp, "m4", 0, &b), 0);
	s = buf_cstr(&b);
	cut = strstr(s, "the project ");
	cr_assert_not_null(cut);
	cut += strlen("the project ");
	cr_expect(strncmp(cut + 299, "....\r\n", 6) == 0, "%.320s", cut);
	cr_expect(strstr(s, "tail") == NULL);
	buf_free(&b);

	json_object_put(lp);
	json_object_put(as);
	json_object_put(inv);
	json_object_put(d);
}

Test(jobs, more_addresses_and_from)
{
	char a[256], tiny[4];

	cr_expect(!mail_addr_ok(NULL));
	cr_expect(!mail_addr_ok("a@"));
	cr_expect(!mail_addr_ok("@bc.d"));
	cr_expect(!mail_addr_ok("ab@"));
	cr_expect(!mail_addr_ok("a\xc3\xa9@b.c"), "non-ASCII");
	cr_expect(!mail_addr_ok("a(b)@c.d"));
	cr_expect(!mail_from_ok(NULL, a, sizeof(a)));
	cr_expect(!mail_from_ok("", a, sizeof(a)));
	cr_expect(!mail_from_ok("not an address", a, sizeof(a)));
	cr_expect(!mail_from_ok("x > <a@b.c", a, sizeof(a)), "> before <");
	cr_expect(!mail_from_ok("x <a@b.c> y", a, sizeof(a)), "text after >");
	cr_expect(!mail_from_ok("x <a@b.cd>", tiny, sizeof(tiny)), "too long for the buffer");
	cr_expect(!mail_from_ok("a@b.cd", tiny, sizeof(tiny)), "too long for the buffer");
	cr_expect(!mail_from_ok("x <>", a, sizeof(a)));
	cr_expect(!mail_from_ok("x\x7f <a@b.c>", a, sizeof(a)));
}
