/* The table of peer-message types (src/io/msgs.h). */
#include "src/io/msgs.h"

#include <string.h>

void eng_msgs_register(struct eng_msgs *m, const char *type, eng_msg_fn fn,
		       void *arg)
{
	XU_ASSERT(m->n < ENG_MSGS_MAX);
	XU_ASSERT(!eng_msgs_lookup(m, type, NULL));
	m->t[m->n].type = type;
	m->t[m->n].fn = fn;
	m->t[m->n].arg = arg;
	m->n++;
}

eng_msg_fn eng_msgs_lookup(const struct eng_msgs *m, const char *type,
			   void **arg)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->t[i].type, type)) {
			if (arg)
				*arg = m->t[i].arg;
			return m->t[i].fn;
		}
	return NULL;
}
