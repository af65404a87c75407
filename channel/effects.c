/* The effect-list helpers shared by the two state machines (declared in
 * channel/internal.h): appending an effect to the caller's fixed buffer,
 * and the common ALERT effect.  Pure: no allocation, the buffer is the
 * caller's.
 */
#include <string.h>

#include "channel/channel.h"
#include "channel/internal.h"

struct pc_effect *pc_fx_push(struct pc_effects *fx, enum pc_fx_kind k,
			     const uint8_t *channel)
{
	struct pc_effect *e;

	XU_ASSERT(fx != NULL);
	XU_ASSERT(fx->n < PC_MAX_EFFECTS);
	e = &fx->v[fx->n++];
	memset(e, 0, sizeof(*e));
	e->kind = k;
	if (channel != NULL)
		memcpy(e->channel, channel, CR_CHANNEL_ID_BYTES);
	return e;
}

void pc_fx_alert(struct pc_effects *fx, enum pc_alert a, const uint8_t *channel,
		 struct xl_drops amount)
{
	struct pc_effect *e = pc_fx_push(fx, PC_FX_ALERT, channel);

	e->alert = a;
	e->amount = amount;
}
