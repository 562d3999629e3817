/*
 * Test helpers: build DNS queries and take responses apart, using the
 * project's own cursor and name reader.
 */
#ifndef PMGTM_TESTS_DNSQ_H
#define PMGTM_TESTS_DNSQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dnsq_opts {
	uint16_t id;
	uint16_t flags; /* RD etc.; opcode bits included */
	bool edns;
	uint16_t payload; /* default 1232 */
	uint8_t version;
	uint16_t ednsflags; /* DO = 0x8000 */
	bool nsid;
	const uint8_t *cookie; /* raw COOKIE option data */
	size_t cookie_len;
};

/* Builds a one-question query; returns its length. */
size_t dnsq_build(uint8_t *buf, const char *name, uint16_t type, uint16_t cls,
		  const struct dnsq_opts *o);

struct dnsq_rr {
	int section; /* 0 answer, 1 authority, 2 additional */
	char name[1024];
	uint16_t type, cls;
	uint32_t ttl;
	const uint8_t *rdata;
	uint16_t rdlen;
	size_t rdata_off; /* offset in the message */
};

struct dnsq_resp {
	uint16_t id, flags;
	int rcode; /* with the EDNS extended bits */
	uint16_t qd, an, ns, ar;
	char qname[1024];
	uint16_t qtype, qclass;
	struct dnsq_rr rr[64];
	size_t n_rr;
	bool has_opt;
	uint16_t opt_payload;
	uint32_t opt_ttl;
	const uint8_t *nsid;
	size_t nsid_len;
	const uint8_t *cookie;
	size_t cookie_len;
	int opt_options; /* how many options the OPT held */
};

/* Parses a response; returns 0 or -1 when it is malformed. */
int dnsq_parse(const uint8_t *msg, size_t len, struct dnsq_resp *r);

/* Counts records of @type in @section. */
int dnsq_count(const struct dnsq_resp *r, int section, uint16_t type);

#endif
