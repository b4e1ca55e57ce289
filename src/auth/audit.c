#include <json-c/json.h>

#include "auth/audit.h"
#include "log.h"

void
audit_log(const struct req *r, const char *action, const char *actor,
    const char *target)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return;
	json_object_object_add(o, "event", json_object_new_string("audit"));
	json_object_object_add(o, "action", json_object_new_string(action));
	json_object_object_add(o, "actor_id", actor ? json_object_new_string(actor) : NULL);
	json_object_object_add(o, "target_id", target ? json_object_new_string(target) : NULL);
	json_object_object_add(o, "client_addr", json_object_new_string(r->remote_addr));
	json_object_object_add(o, "request_id", json_object_new_string(r->request_id));
	log_json(LOG_INFO, o);
	json_object_put(o);
}
