/*
 * What signature checks a datagram source may cost. An Ed25519
 * verification is the most expensive thing a packet can ask of us, and
 * anyone who can reach the gossip port can ask for one by naming a known
 * sender: the budget bounds that work per source address, so a flood
 * costs a bounded share of a core and leaves DNS answering.
 */
#include "gossip/internal.h"

#include <string.h>

/* GCRA: the theoretical arrival time @tat moves one @interval per
 * packet; a packet is within budget while it is at most @burst ahead. */
static bool
take(uint64_t *tat, uint64_t now, uint64_t interval, uint64_t burst)
{
	uint64_t t = *tat > now ? *tat : now;

	if (t - now > burst)
		return false;
	*tat = t + interval;
	return true;
}

bool
gsp__budget_take(struct gsp *g, struct gsp_now now, const struct ip_addr *ip)
{
	uint64_t t = gsp__now_us(now);
	struct budget *slot = NULL, *idle = &g->budget[0];

	if (!ip)
		return take(&g->stranger_tat, t, STRANGER_INTERVAL_US,
			    BUDGET_BURST_US);
	for (size_t i = 0; i < BUDGET_SLOTS; i++) {
		struct budget *b = &g->budget[i];
		if (b->tat && !memcmp(&b->ip, ip, sizeof(*ip))) {
			slot = b;
			break;
		}
		if (b->tat < idle->tat)
			idle = b;
	}
	if (!slot) {
		/* The slot idle longest: its source has its whole burst
		 * back anyway once its tat is in the past. */
		slot = idle;
		slot->ip = *ip;
		slot->tat = 0;
	}
	return take(&slot->tat, t, BUDGET_INTERVAL_US, BUDGET_BURST_US);
}
