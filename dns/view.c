#include "dns/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/rr.h"
#include "dns/view_int.h"

/* Whether wire name @n (@nlen bytes) is @zone or below it, at a label
 * boundary. Both lowercased. */
static int
name_in_zone(const uint8_t *n, size_t nlen, const uint8_t *zone, size_t zlen)
{
	size_t off = 0;

	while (nlen - off > zlen) {
		if (n[off] == 0)
			return 0;
		off += 1 + (size_t)n[off];
	}
	return nlen - off == zlen && memcmp(n + off, zone, zlen) == 0;
}

static void
zone_fini(struct dns_vzone *z)
{
	free(z->text);
	dns_rrset_fini(&z->a);
	dns_rrset_fini(&z->aaaa);
	dns_rrset_fini(&z->soa);
	dns_rrset_fini(&z->neg_soa);
	dns_rrset_fini(&z->ns);
	free(z->ns_name_off);
	for (size_t i = 0; i < z->n_ns; i++) {
		dns_rrset_fini(&z->nss[i].a);
		dns_rrset_fini(&z->nss[i].aaaa);
		dns_rrset_fini(&z->nss[i].glue);
	}
	free(z->nss);
}

void
dns_view_free(struct dns_view *view)
{
	if (!view)
		return;
	for (size_t i = 0; i < view->n_zones; i++)
		zone_fini(&view->zones[i]);
	free(view->zones);
	dns_rrset_fini(&view->id_txt);
	dns_rrset_fini(&view->hinfo);
	free(view);
}

/* The A or AAAA set a zone answers with: our own addresses, or when
 * drained in redirect mode, the active peers' in preference order. */
static int
build_addr_sets(const struct dns_view_spec *spec, struct dns_vzone *z,
		uint32_t ttl)
{
	int r = 0;

	for (int fam = 4; fam <= 6 && !r; fam += 2) {
		struct dns_rrset *set = fam == 4 ? &z->a : &z->aaaa;
		if (spec->drained) {
			for (size_t p = 0; p < spec->n_peers && !r; p++)
				r = dns_rrset_add_addrs(set, 1, fam, ttl,
							spec->peers[p].addrs,
							spec->peers[p].n_addrs);
		} else {
			r = dns_rrset_add_addrs(set, 1, fam, ttl, spec->self,
						spec->n_self);
		}
	}
	return r;
}

static int
build_soa(const struct dns_spec_zone *sz, struct dns_vzone *z, char *err,
	  size_t errlen)
{
	uint8_t rdata[2 * DNS_NAME_MAX + 20];
	uint8_t mname[DNS_NAME_MAX], rname[DNS_NAME_MAX];
	int ml = dns_name_from_text(sz->ns[0].name, mname, 1);
	int rl = dns_name_from_text(sz->soa_rname, rname, 1);

	if (ml < 0 || rl < 0) {
		snprintf(err, errlen, "zone %s: bad SOA %s name", sz->name,
			 ml < 0 ? "mname" : "rname");
		return -EINVAL;
	}
	struct dns_wr wr;
	dns_wr_init(&wr, rdata, sizeof(rdata));
	dns_wr_bytes(&wr, mname, (size_t)ml);
	dns_wr_bytes(&wr, rname, (size_t)rl);
	dns_wr_u32(&wr, sz->serial);
	dns_wr_u32(&wr, sz->refresh);
	dns_wr_u32(&wr, sz->retry);
	dns_wr_u32(&wr, sz->expire);
	dns_wr_u32(&wr, sz->minimum);
	/* RFC 2308 §5: the negative TTL is the lesser of the two. */
	uint32_t neg = sz->ttl < sz->minimum ? sz->ttl : sz->minimum;
	int r = dns_rrset_add(&z->soa, 1, DNS_T_SOA, DNS_C_IN, sz->ttl, rdata,
			      wr.pos);
	if (!r)
		r = dns_rrset_add(&z->neg_soa, 0, DNS_T_SOA, DNS_C_IN, neg,
				  rdata, wr.pos);
	return r;
}

static int
build_ns(const struct dns_spec_zone *sz, struct dns_vzone *z, char *err,
	 size_t errlen)
{
	z->n_ns = sz->n_ns;
	z->nss = calloc(sz->n_ns, sizeof(*z->nss));
	z->ns_name_off = calloc(sz->n_ns, sizeof(*z->ns_name_off));
	if (!z->nss || !z->ns_name_off)
		return -ENOMEM;
	for (size_t i = 0; i < sz->n_ns; i++) {
		const struct dns_spec_host *h = &sz->ns[i];
		struct dns_vns *ns = &z->nss[i];
		int l = dns_name_from_text(h->name, ns->name, 1);
		if (l < 0) {
			snprintf(err, errlen, "zone %s: bad NS name '%s'",
				 sz->name, h->name);
			return -EINVAL;
		}
		ns->len = (size_t)l;
		/* An in-zone name without addresses (a member gossip has
		 * not brought yet) is served without glue. */
		ns->in_zone = name_in_zone(ns->name, ns->len, z->name, z->len);
		/* The rdata name sits after owner(2) + fixed fields(10). */
		z->ns_name_off[i] = z->ns.len + 12;
		int r = dns_rrset_add(&z->ns, 1, DNS_T_NS, DNS_C_IN, sz->ttl,
				      ns->name, ns->len);
		if (r)
			return r;
		if (!ns->in_zone)
			continue;
		r = dns_rrset_add_addrs(&ns->a, 1, 4, sz->ttl, h->addrs,
					h->n_addrs);
		if (!r)
			r = dns_rrset_add_addrs(&ns->aaaa, 1, 6, sz->ttl,
						h->addrs, h->n_addrs);
		if (!r)
			r = dns_rrset_add_addrs(&ns->glue, 0, 4, sz->ttl,
						h->addrs, h->n_addrs);
		if (!r)
			r = dns_rrset_add_addrs(&ns->glue, 0, 6, sz->ttl,
						h->addrs, h->n_addrs);
		if (r)
			return r;
	}
	return 0;
}

static int
build_zone(const struct dns_view_spec *spec, const struct dns_spec_zone *sz,
	   struct dns_vzone *z, char *err, size_t errlen)
{
	int l = dns_name_from_text(sz->name, z->name, 1);

	if (l < 0) {
		snprintf(err, errlen, "bad zone name '%s'", sz->name);
		return -EINVAL;
	}
	z->len = (size_t)l;
	z->text = strdup(sz->name);
	if (!z->text)
		return -ENOMEM;
	if (sz->n_ns == 0) {
		snprintf(err, errlen, "zone %s has no NS", sz->name);
		return -EINVAL;
	}
	int r = build_addr_sets(spec, z, sz->ttl);
	if (!r)
		r = build_soa(sz, z, err, errlen);
	if (!r)
		r = build_ns(sz, z, err, errlen);
	return r;
}

static int
build_node_records(const struct dns_view_spec *spec, struct dns_view *v)
{
	uint8_t txt[DNS_LABEL_MAX + 1];
	/* HINFO "RFC8482" "": the minimal ANY answer for a name with no
	 * address records (RFC 8482 §4.2). */
	static const uint8_t hinfo[] = {
		7, 'R', 'F', 'C', '8', '4', '8', '2', 0
	};

	txt[0] = (uint8_t)v->node_name_len;
	memcpy(txt + 1, spec->node_name, v->node_name_len);
	int r = dns_rrset_add(&v->id_txt, 1, DNS_T_TXT, DNS_C_CH, 0, txt,
			      v->node_name_len + 1);
	if (!r)
		r = dns_rrset_add(&v->hinfo, 1, DNS_T_HINFO, DNS_C_IN, 30,
				  hinfo, sizeof(hinfo));
	return r;
}

int
dns_view_new(const struct dns_view_spec *spec, struct dns_view **out, char *err,
	     size_t errlen)
{
	struct dns_view *v = calloc(1, sizeof(*v));
	int r = -ENOMEM;

	*out = NULL;
	if (!v)
		goto fail;
	size_t nl = spec->node_name ? strlen(spec->node_name) : 0;
	if (nl == 0 || nl > DNS_LABEL_MAX) {
		snprintf(err, errlen, "node name must be 1-63 bytes");
		r = -EINVAL;
		goto fail;
	}
	memcpy(v->node_name, spec->node_name, nl);
	v->node_name_len = nl;
	v->serving = !spec->drained;
	v->silent = spec->drained && spec->drain_mode == DNS_DRAIN_SILENT;
	size_t peer_addrs = 0;
	for (size_t i = 0; i < spec->n_peers; i++)
		peer_addrs += spec->peers[i].n_addrs;
	/* Redirect with nobody to redirect to falls back to refuse. */
	v->refuse =
		spec->drained &&
		(spec->drain_mode == DNS_DRAIN_REFUSE ||
		 (spec->drain_mode == DNS_DRAIN_REDIRECT && peer_addrs == 0));
	r = build_node_records(spec, v);
	if (r)
		goto fail;
	v->zones = calloc(spec->n_zones ? spec->n_zones : 1, sizeof(*v->zones));
	if (!v->zones) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < spec->n_zones; i++) {
		v->n_zones = i + 1;
		r = build_zone(spec, &spec->zones[i], &v->zones[i], err,
			       errlen);
		if (r)
			goto fail;
	}
	*out = v;
	return 0;
fail:
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory building the DNS view");
	else if (r == -EMSGSIZE)
		snprintf(err, errlen, "an answer would exceed 64 KiB");
	dns_view_free(v);
	return r;
}

bool
dns_view_serving(const struct dns_view *view)
{
	return view->serving;
}

size_t
dns_view_zone_count(const struct dns_view *view)
{
	return view->n_zones;
}

const char *
dns_view_zone_name(const struct dns_view *view, size_t i)
{
	return i < view->n_zones ? view->zones[i].text : NULL;
}
