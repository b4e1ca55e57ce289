/*
 * idem: Idempotency-Key on creating POSTs (API.md section 3).
 *
 * The key is claimed by the same statement that creates the resource: a
 * create statement ends with the CTE
 *
 *   k AS (INSERT INTO idempotency_keys (owner_id, key, method, path,
 *           request_hash, response_status, response_body, location)
 *         SELECT <owner>, $K, 'POST', $P, $H::bytea, 201, <json>::text,
 *                <location> FROM <created row> WHERE $K::text IS NOT NULL)
 *
 * with $K = ix.key_param, $P = r->path, $H = ix.hash.  Two identical
 * requests racing both create a row, but the second one's key insert waits
 * on the primary key, then fails (23505 on idempotency_keys_pkey) and rolls
 * back its whole statement; idem_after_create() then replays the winner's
 * response.  So exactly one resource is created and both get its response.
 */
#ifndef TASKMAN_API_IDEM_H
#define TASKMAN_API_IDEM_H

#include <stdbool.h>

#include "db.h"
#include "http.h"

#define IDEM_KEY_MAX	255

struct idem {
	const char	*key_param;	/* NULL when no key was sent: use as $K */
	char		 key[IDEM_KEY_MAX + 1];
	char		 hash[67];	/* "\x" + SHA-256(method, path, body) in hex: $H */
};

/*
 * Reads Idempotency-Key.  Returns 0 to go on and create (ix filled), or a
 * status with the response already set: a replay of the first response
 * (same status, body and Location), 422 for the same key with another
 * request, 400 for a malformed key, or a database problem.
 */
int	idem_check(struct req *r, struct idem *ix);

/*
 * After the create statement returned s: if it lost the race for the key
 * (DB_CONFLICT on idempotency_keys_pkey), replays the winner's response and
 * returns its status; otherwise returns 0 and the caller handles s.
 */
int	idem_after_create(struct req *r, struct idem *ix, enum db_status s);

#endif
