#include <string.h>

#include <criterion/criterion.h>

#include "auth/password.h"

static const struct password_params owasp = { 19456, 2, 1 };

Test(password, hash_is_phc_argon2id_and_verifies)
{
	char h[PASSWORD_HASH_MAX];

	cr_assert_eq(password_hash(&owasp, "correct horse", 13, h, sizeof(h)), 0);
	cr_expect_eq(strncmp(h, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0, "%s", h);
	cr_expect_eq(password_verify(h, "correct horse", 13), 1);
	cr_expect_eq(password_verify(h, "correct horsf", 13), 0);
	cr_expect_eq(password_verify(h, "correct hors", 12), 0);
	cr_expect_eq(password_needs_rehash(&owasp, h), false);
}

Test(password, salts_differ)
{
	char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];

	cr_assert_eq(password_hash(&owasp, "same password", 13, a, sizeof(a)), 0);
	cr_assert_eq(password_hash(&owasp, "same password", 13, b, sizeof(b)), 0);
	cr_expect_str_neq(a, b);
}

Test(password, weaker_stored_parameters_need_rehash)
{
	static const struct password_params stronger = { 65536, 3, 1 };

	cr_expect(password_needs_rehash(&stronger,
	    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"));
	cr_expect(!password_needs_rehash(&owasp,
	    "$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"));
	cr_expect(password_needs_rehash(&owasp, "$2b$12$bcrypthashbcrypthash"));
	cr_expect(password_needs_rehash(&owasp, "garbage"));
}

Test(password, foreign_or_broken_hashes_never_verify)
{
	cr_expect_eq(password_verify("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
	    "x", 1), 0);
	cr_expect_eq(password_verify("", "x", 1), 0);
	cr_expect_eq(password_verify("$argon2id$v=19$m=19456,t=2,p=1$$", "x", 1), 0);
}
