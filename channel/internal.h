/* Helpers shared by the channel core's .c files; not part of the API. */
#ifndef XRPSE_CHANNEL_INTERNAL_H
#define XRPSE_CHANNEL_INTERNAL_H

#include "channel/channel.h"

/* Appends an effect of kind k (zeroed, channel copied when not NULL) and
 * returns it.  More than PC_MAX_EFFECTS in one apply is a bug: aborts. */
struct pc_effect *pc_fx_push(struct pc_effects *fx, enum pc_fx_kind k,
			     const uint8_t *channel);
/* Appends an ALERT effect. */
void pc_fx_alert(struct pc_effects *fx, enum pc_alert a, const uint8_t *channel,
		 struct xl_drops amount);

#endif /* XRPSE_CHANNEL_INTERNAL_H */
