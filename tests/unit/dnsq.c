#include "dnsq.h"

#include <string.h>

#include "dns/name.h"
#include "dns/wire.h"

size_t
dnsq_build(uint8_t *buf, const char *name, uint16_t type, uint16_t cls,
	   const struct dnsq_opts *o)
{
	static const struct dnsq_opts none;
	uint8_t wire[DNS_NAME_MAX];
	struct dns_wr wr;

	if (!o)
		o = &none;
	int nl = dns_name_from_text(name, wire, 0);
	if (nl < 0)
		return 0;
	dns_wr_init(&wr, buf, 4096);
	dns_wr_u16(&wr, o->id);
	dns_wr_u16(&wr, o->flags);
	dns_wr_u16(&wr, 1);
	dns_wr_u16(&wr, 0);
	dns_wr_u16(&wr, 0);
	dns_wr_u16(&wr, o->edns ? 1 : 0);
	dns_wr_bytes(&wr, wire, (size_t)nl);
	dns_wr_u16(&wr, type);
	dns_wr_u16(&wr, cls);
	if (o->edns) {
		size_t rdlen =
			(o->nsid ? 4 : 0) + (o->cookie ? 4 + o->cookie_len : 0);
		dns_wr_u8(&wr, 0);
		dns_wr_u16(&wr, 41);
		dns_wr_u16(&wr, o->payload ? o->payload : 1232);
		dns_wr_u32(&wr, (uint32_t)o->version << 16 | o->ednsflags);
		dns_wr_u16(&wr, (uint16_t)rdlen);
		if (o->nsid) {
			dns_wr_u16(&wr, 3);
			dns_wr_u16(&wr, 0);
		}
		if (o->cookie) {
			dns_wr_u16(&wr, 10);
			dns_wr_u16(&wr, (uint16_t)o->cookie_len);
			dns_wr_bytes(&wr, o->cookie, o->cookie_len);
		}
	}
	return wr.err ? 0 : wr.pos;
}

static void
read_opt(struct dnsq_resp *r, const uint8_t *data, uint16_t len)
{
	struct dns_rd rd;

	dns_rd_init(&rd, data, len);
	while (dns_rd_left(&rd)) {
		uint16_t code = dns_rd_u16(&rd);
		uint16_t l = dns_rd_u16(&rd);
		const uint8_t *v = dns_rd_bytes(&rd, l);
		if (!v)
			return;
		r->opt_options++;
		if (code == 3) {
			r->nsid = v;
			r->nsid_len = l;
		} else if (code == 10) {
			r->cookie = v;
			r->cookie_len = l;
		}
	}
}

int
dnsq_parse(const uint8_t *msg, size_t len, struct dnsq_resp *r)
{
	struct dns_rd rd;
	uint8_t name[DNS_NAME_MAX];

	memset(r, 0, sizeof(*r));
	dns_rd_init(&rd, msg, len);
	r->id = dns_rd_u16(&rd);
	r->flags = dns_rd_u16(&rd);
	r->rcode = r->flags & 0xf;
	r->qd = dns_rd_u16(&rd);
	r->an = dns_rd_u16(&rd);
	r->ns = dns_rd_u16(&rd);
	r->ar = dns_rd_u16(&rd);
	if (r->qd > 1)
		return -1;
	if (r->qd) {
		if (!dns_name_read(&rd, name))
			return -1;
		dns_name_to_text(name, r->qname, sizeof(r->qname));
		r->qtype = dns_rd_u16(&rd);
		r->qclass = dns_rd_u16(&rd);
	}
	size_t total = (size_t)r->an + r->ns + r->ar;
	for (size_t i = 0; i < total && !rd.err; i++) {
		struct dnsq_rr *rr = &r->rr[r->n_rr < 63 ? r->n_rr : 63];
		if (!dns_name_read(&rd, name))
			return -1;
		dns_name_to_text(name, rr->name, sizeof(rr->name));
		rr->section = i < r->an ? 0 : i < (size_t)r->an + r->ns ? 1 : 2;
		rr->type = dns_rd_u16(&rd);
		rr->cls = dns_rd_u16(&rd);
		rr->ttl = dns_rd_u32(&rd);
		rr->rdlen = dns_rd_u16(&rd);
		rr->rdata_off = rd.pos;
		rr->rdata = dns_rd_bytes(&rd, rr->rdlen);
		if (rd.err)
			return -1;
		if (rr->type == 41) {
			r->has_opt = true;
			r->opt_payload = rr->cls;
			r->opt_ttl = rr->ttl;
			r->rcode |= (int)(rr->ttl >> 24) << 4;
			read_opt(r, rr->rdata, rr->rdlen);
		}
		if (r->n_rr < 64)
			r->n_rr++;
	}
	if (rd.err || dns_rd_left(&rd))
		return -1;
	return 0;
}

int
dnsq_count(const struct dnsq_resp *r, int section, uint16_t type)
{
	int n = 0;

	for (size_t i = 0; i < r->n_rr; i++)
		if (r->rr[i].section == section && r->rr[i].type == type)
			n++;
	return n;
}
