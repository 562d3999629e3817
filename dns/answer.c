#include "dns/answer.h"

#include <string.h>

#include "dns/cookie.h"
#include "dns/edns.h"
#include "dns/view_int.h"

/* Header flag bits (RFC 1035 §4.1.1, RFC 4035 §3.2). */
#define F_QR 0x8000
#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100
#define F_CD 0x0010
#define OPCODE(f) (((f) >> 11) & 0xf)

#define HDR_LEN 12
#define OPT_FIXED 11 /* root owner, type, class, ttl, rdlen */

/* A parsed query: the question stays in the query buffer. */
struct query {
	uint16_t id, flags;
	size_t qname_len;	     /* question name at offset 12 */
	uint8_t lname[DNS_NAME_MAX]; /* lowercased copy */
	uint8_t labels[DNS_NAME_MAX / 2 + 1];
	size_t n_labels;
	uint16_t qtype, qclass;
	struct dns_edns edns;
};

/* Skips the answer and authority records and reads the additional
 * section, keeping the one OPT record. */
static void
read_records(struct dns_rd *rd, const uint8_t *q, struct query *qr)
{
	uint16_t an = (uint16_t)(q[6] << 8 | q[7]);
	uint16_t ns = (uint16_t)(q[8] << 8 | q[9]);
	uint16_t ar = (uint16_t)(q[10] << 8 | q[11]);
	uint32_t total = (uint32_t)an + ns + ar;
	uint8_t name[DNS_NAME_MAX];

	for (uint32_t i = 0; i < total && !rd->err; i++) {
		size_t nl = dns_name_read(rd, name);
		uint16_t type = dns_rd_u16(rd);
		uint16_t cls = dns_rd_u16(rd);
		uint32_t ttl = dns_rd_u32(rd);
		uint16_t rdlen = dns_rd_u16(rd);
		if (rd->err)
			return;
		if (type != DNS_T_OPT) {
			dns_rd_bytes(rd, rdlen);
			continue;
		}
		/* OPT: only in the additional section, only once, only at
		 * the root (RFC 6891 §6.1.1). */
		if (i < (uint32_t)an + ns || qr->edns.present || nl != 1) {
			dns_rd_fail(rd);
			return;
		}
		if (dns_edns_parse(rd, cls, ttl, rdlen, &qr->edns))
			dns_rd_fail(rd);
	}
	/* Trailing bytes after the last record make the message malformed. */
	if (!rd->err && dns_rd_left(rd))
		dns_rd_fail(rd);
}

/* Header-only response: NOTIMP, FORMERR before the question was read. */
static int
bare(const uint8_t *q, uint8_t *out, size_t cap, uint16_t flags, int rcode,
     struct dns_result *res)
{
	if (cap < HDR_LEN)
		return DNS_DROP;
	memset(out, 0, HDR_LEN);
	out[0] = q[0];
	out[1] = q[1];
	flags |= F_QR | (uint16_t)(q[2] & 0x78) << 8 | (uint16_t)rcode;
	out[2] = (uint8_t)(flags >> 8);
	out[3] = (uint8_t)flags;
	res->rcode = rcode;
	return HDR_LEN;
}

/* Index of the zone holding the question name, or -1. Sets *apex_off to
 * the offset of the zone apex within the name. */
static int
find_zone(const struct dns_view *v, const struct query *qr, size_t *apex_off)
{
	for (size_t z = 0; z < v->n_zones; z++) {
		const struct dns_vzone *zone = &v->zones[z];
		if (zone->len > qr->qname_len)
			continue;
		size_t off = qr->qname_len - zone->len;
		/* The suffix must start on a label boundary. */
		for (size_t l = 0; l < qr->n_labels; l++) {
			if (qr->labels[l] < off)
				continue;
			if (qr->labels[l] == off &&
			    memcmp(qr->lname + off, zone->name, zone->len) ==
				    0) {
				*apex_off = off;
				return (int)z;
			}
			break;
		}
	}
	return -1;
}

static int
is_name(const struct query *qr, const char *wire, size_t len)
{
	return qr->qname_len == len && memcmp(qr->lname, wire, len) == 0;
}

static void
put_set(struct dns_wr *wr, const struct dns_rrset *set, uint16_t *count)
{
	dns_wr_bytes(wr, set->data, set->len);
	*count = (uint16_t)(*count + set->count);
}

/* The first record of @set only (owner pointer, fixed fields, rdata). */
static void
put_first(struct dns_wr *wr, const struct dns_rrset *set, uint16_t *count)
{
	size_t rdlen = (size_t)set->data[10] << 8 | set->data[11];

	dns_wr_bytes(wr, set->data, 12 + rdlen);
	(*count)++;
}

/* The negative answer: SOA in authority, owned by the zone apex, which is
 * a suffix of the question name (compression pointer into it). */
static void
put_nodata(struct dns_wr *wr, const struct dns_vzone *z, size_t apex_off,
	   uint16_t *nscount)
{
	dns_wr_u16(wr, (uint16_t)(0xc000 | (HDR_LEN + apex_off)));
	put_set(wr, &z->neg_soa, nscount);
}

/* The NS set at the apex, then glue for in-zone names (best effort: glue
 * that does not fit is left out without TC, RFC 9471 does not apply to an
 * authoritative answer's additional data). */
static void
put_ns(struct dns_wr *wr, const struct dns_vzone *z, uint16_t *ancount,
       uint16_t *arcount)
{
	size_t base = wr->pos;

	put_set(wr, &z->ns, ancount);
	if (wr->err)
		return;
	for (size_t i = 0; i < z->n_ns; i++) {
		const struct dns_vns *ns = &z->nss[i];
		size_t at = base + z->ns_name_off[i];
		if (!ns->glue.count || at > 0x3fff)
			continue;
		/* Each glue record: owner pointer to the NS rdata name. */
		struct dns_rd rd;
		dns_rd_init(&rd, ns->glue.data, ns->glue.len);
		for (uint16_t k = 0; k < ns->glue.count; k++) {
			size_t start = rd.pos;
			dns_rd_bytes(&rd, 8);
			uint16_t rdlen = dns_rd_u16(&rd);
			dns_rd_bytes(&rd, rdlen);
			size_t mark = wr->pos;
			dns_wr_u16(wr, (uint16_t)(0xc000 | at));
			dns_wr_bytes(wr, ns->glue.data + start, rd.pos - start);
			if (wr->err) {
				dns_wr_rewind(wr, mark);
				return;
			}
			(*arcount)++;
		}
	}
}

/* RFC 7873 §5.2.3-5.2.5: whatever the server cookie, the query is
 * answered and gets a fresh one; only the outcome differs. */
static enum dns_cookie_state
cookie_state(const struct query *qr, const struct dns_req *req)
{
	const struct dns_edns *e = &qr->edns;

	if (!e->cookie)
		return DNS_COOKIE_NONE;
	if (!e->server_cookie_len)
		return DNS_COOKIE_CLIENT;
	if (req->cookies &&
	    dns_cookie_valid(req->cookies, e->client_cookie, e->server_cookie,
			     e->server_cookie_len, req->client_ip,
			     req->client_iplen, req->now))
		return DNS_COOKIE_VALID;
	return DNS_COOKIE_INVALID;
}

/* Size of the OPT record we will add. */
static size_t
opt_len(const struct dns_view *v, const struct query *qr,
	const struct dns_req *req)
{
	size_t n = OPT_FIXED;

	if (qr->edns.nsid)
		n += 4 + v->node_name_len;
	if (qr->edns.cookie && req->cookies)
		n += 4 + DNS_COOKIE_CLIENT_LEN + DNS_COOKIE_SERVER_LEN;
	return n;
}

static void
put_opt(struct dns_wr *wr, const struct dns_view *v, const struct query *qr,
	const struct dns_req *req, int rcode)
{
	size_t rdlen = opt_len(v, qr, req) - OPT_FIXED;

	dns_wr_u8(wr, 0);
	dns_wr_u16(wr, DNS_T_OPT);
	dns_wr_u16(wr, DNS_UDP_PAYLOAD);
	/* Extended rcode (upper 8 bits), version 0, DO echoed, Z clear. */
	dns_wr_u32(wr, (uint32_t)(rcode >> 4) << 24 |
			       (qr->edns.dnssec_ok ? 0x8000u : 0));
	dns_wr_u16(wr, (uint16_t)rdlen);
	if (qr->edns.nsid) {
		dns_wr_u16(wr, DNS_OPT_NSID);
		dns_wr_u16(wr, (uint16_t)v->node_name_len);
		dns_wr_bytes(wr, v->node_name, v->node_name_len);
	}
	if (qr->edns.cookie && req->cookies) {
		uint8_t sc[DNS_COOKIE_SERVER_LEN];
		dns_cookie_make(req->cookies->current, qr->edns.client_cookie,
				req->client_ip, req->client_iplen, req->now,
				sc);
		dns_wr_u16(wr, DNS_OPT_COOKIE);
		dns_wr_u16(wr, DNS_COOKIE_CLIENT_LEN + DNS_COOKIE_SERVER_LEN);
		dns_wr_bytes(wr, qr->edns.client_cookie, DNS_COOKIE_CLIENT_LEN);
		dns_wr_bytes(wr, sc, sizeof(sc));
	}
}

/* The answer and authority sections for an in-zone question. Returns the
 * rcode. */
static int
answer_zone(const struct dns_view *v, const struct query *qr, int zi,
	    size_t apex_off, struct dns_wr *wr, uint16_t counts[3])
{
	const struct dns_vzone *z = &v->zones[zi];
	const struct dns_vns *ns = NULL;
	const struct dns_rrset *set = NULL;
	int apex = apex_off == 0;

	for (size_t i = 0; i < z->n_ns; i++) {
		if (z->nss[i].in_zone && z->nss[i].len == qr->qname_len &&
		    memcmp(z->nss[i].name, qr->lname, qr->qname_len) == 0) {
			ns = &z->nss[i];
			break;
		}
	}
	switch (qr->qtype) {
	case DNS_T_A:
		set = ns ? &ns->a : &z->a;
		break;
	case DNS_T_AAAA:
		set = ns ? &ns->aaaa : &z->aaaa;
		break;
	case DNS_T_ANY:
		/* RFC 8482: a minimal answer, one record, never the whole
		 * address set. */
		set = ns ? &ns->a : &z->a;
		if (!set->count)
			set = ns ? &ns->aaaa : &z->aaaa;
		if (!set->count)
			set = &v->hinfo;
		put_first(wr, set, &counts[0]);
		return DNS_RCODE_NOERROR;
	case DNS_T_SOA:
		if (apex)
			set = &z->soa;
		break;
	case DNS_T_NS:
		if (apex) {
			put_ns(wr, z, &counts[0], &counts[2]);
			return DNS_RCODE_NOERROR;
		}
		break;
	case DNS_T_AXFR:
	case DNS_T_IXFR:
		return DNS_RCODE_REFUSED;
	default:
		break;
	}
	if (set && set->count)
		put_set(wr, set, &counts[0]);
	else
		put_nodata(wr, z, apex_off, &counts[1]);
	return DNS_RCODE_NOERROR;
}

static int
parse_query(const uint8_t *q, size_t qlen, struct query *qr)
{
	struct dns_rd rd;
	size_t start;

	memset(&qr->edns, 0, sizeof(qr->edns));
	qr->id = (uint16_t)(q[0] << 8 | q[1]);
	qr->flags = (uint16_t)(q[2] << 8 | q[3]);
	dns_rd_init(&rd, q, qlen);
	dns_rd_bytes(&rd, HDR_LEN);
	qr->qname_len =
		dns_name_read_flat(&rd, &start, qr->labels, &qr->n_labels);
	qr->qtype = dns_rd_u16(&rd);
	qr->qclass = dns_rd_u16(&rd);
	if (rd.err)
		return rd.err;
	dns_name_lower(q + HDR_LEN, qr->qname_len, qr->lname);
	read_records(&rd, q, qr);
	return rd.err;
}

/* Which rcode, flags and sections a parsed question gets. */
static int
classify(const struct dns_view *v, const struct query *qr, struct dns_wr *wr,
	 uint16_t counts[3], uint16_t *flags, struct dns_result *res)
{
	static const char id_server[] = "\2id\6server";
	static const char hostname_bind[] = "\10hostname\4bind";
	size_t apex_off = 0;

	if (qr->qclass == DNS_C_CH) {
		if ((qr->qtype == DNS_T_TXT || qr->qtype == DNS_T_ANY) &&
		    (is_name(qr, id_server, sizeof(id_server)) ||
		     is_name(qr, hostname_bind, sizeof(hostname_bind)))) {
			*flags |= F_AA;
			put_set(wr, &v->id_txt, &counts[0]);
			return DNS_RCODE_NOERROR;
		}
		return DNS_RCODE_REFUSED;
	}
	if (qr->qclass != DNS_C_IN)
		return DNS_RCODE_REFUSED;
	int zi = find_zone(v, qr, &apex_off);
	res->zone = zi;
	if (zi < 0)
		return DNS_RCODE_REFUSED;
	if (v->silent)
		return DNS_DROP;
	if (v->refuse)
		return DNS_RCODE_REFUSED;
	int rcode = answer_zone(v, qr, zi, apex_off, wr, counts);
	if (rcode == DNS_RCODE_NOERROR)
		*flags |= F_AA;
	return rcode;
}

int
dns_answer(const struct dns_view *v, const struct dns_req *req,
	   const uint8_t *q, size_t qlen, uint8_t *out, size_t cap,
	   struct dns_result *res)
{
	struct dns_result dummy;
	struct query qr;

	if (!res)
		res = &dummy;
	res->zone = -1;
	res->qtype = 0;
	res->rcode = -1;
	res->cookie = DNS_COOKIE_NONE;
	if (qlen < HDR_LEN || (q[2] & 0x80))
		return DNS_DROP;
	if (OPCODE(q[2] << 8) != 0)
		return bare(q, out, cap, 0, DNS_RCODE_NOTIMP, res);
	if (q[4] != 0 || q[5] != 1 || parse_query(q, qlen, &qr))
		return bare(q, out, cap, (uint16_t)(q[2] << 8) & F_RD,
			    DNS_RCODE_FORMERR, res);
	res->qtype = qr.qtype;
	res->cookie = cookie_state(&qr, req);

	/* Response size limit: 512 without EDNS, else the client's size
	 * within [512, 1232]; TCP: the whole buffer. */
	size_t limit = cap;
	if (req->proto == DNS_UDP) {
		size_t udp = DNS_UDP_PLAIN;
		if (qr.edns.present && qr.edns.payload > udp)
			udp = qr.edns.payload < DNS_UDP_PAYLOAD
				      ? qr.edns.payload
				      : DNS_UDP_PAYLOAD;
		if (udp < limit)
			limit = udp;
	}
	if (limit > DNS_MSG_MAX)
		limit = DNS_MSG_MAX;

	size_t qend = HDR_LEN + qr.qname_len + 4;
	size_t optlen = qr.edns.present ? opt_len(v, &qr, req) : 0;
	if (qend + optlen > limit)
		return DNS_DROP;

	struct dns_wr wr;
	uint16_t counts[3] = { 0, 0, 0 };
	uint16_t flags = F_QR | (qr.flags & (F_RD | F_CD));
	int rcode;

	dns_wr_init(&wr, out, limit - optlen);
	dns_wr_u16(&wr, qr.id);
	dns_wr_u16(&wr, 0); /* flags, written last */
	dns_wr_u16(&wr, 1);
	dns_wr_u32(&wr, 0);
	dns_wr_u16(&wr, 0);
	dns_wr_bytes(&wr, q + HDR_LEN, qr.qname_len + 4);

	if (qr.edns.present && qr.edns.version > 0) {
		rcode = DNS_RCODE_BADVERS;
	} else {
		rcode = classify(v, &qr, &wr, counts, &flags, res);
		if (rcode == DNS_DROP)
			return DNS_DROP;
		if (wr.err) {
			/* The answer did not fit: TC, and the client asks
			 * again over TCP. */
			dns_wr_rewind(&wr, qend);
			counts[0] = counts[1] = counts[2] = 0;
			flags |= F_TC;
		}
	}

	wr.cap = limit;
	if (qr.edns.present) {
		put_opt(&wr, v, &qr, req, rcode);
		counts[2]++;
	}
	flags |= (uint16_t)(rcode & 0xf);
	dns_wr_u16_at(&wr, 2, flags);
	dns_wr_u16_at(&wr, 6, counts[0]);
	dns_wr_u16_at(&wr, 8, counts[1]);
	dns_wr_u16_at(&wr, 10, counts[2]);
	if (wr.err)
		return DNS_DROP;
	res->rcode = rcode;
	return (int)wr.pos;
}
