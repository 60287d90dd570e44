// SPDX-License-Identifier: GPL-2.0
/* The tc engine: a tc ingress program (tcx link, or cls_bpf direct-action) that does a rule's work
 * in the softirq that receives the frame, with the packet engine's semantics (forward_path.hpp):
 * loop guard on the host's own MACs, exact rules before ranges (longest prefix, source-specific
 * first), the IPv4 header check, the rule's token bucket, and per output: presence, TTL / hop
 * limit, the rewritten header (MACs, addresses, TTL, destination port, checksums, IPv6 flow label
 * 0) and bpf_clone_redirect to the output's egress. The original frame is restored field by field
 * and continues into the host stack untouched.
 *
 * It rewrites in place, so it takes only frames whose rewritten copy has the input's layout: no
 * 802.1Q tag in the bytes (a tag in the skb's metadata is fine: popped for the copies), IPv4
 * without options and with no bits set in flags but DF, IPv6 with UDP as the first next header,
 * and no bytes after the UDP datagram. Every other frame is "deferred": TC_ACT_OK untouched and
 * counted, for the packet engine to decide on (it reads the same frame from its ring). */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "tc_abi.h"

char LICENSE[] SEC("license") = "GPL";

/* TEST-ONLY cost switch (the gate's negative control): iterations of an empty bpf_loop per frame. */
const volatile __u32 injected_cost_loops = 0;

struct table {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, TC_TABLE_ENTRIES);
	__type(key, struct tc_key);
	__type(value, struct tc_rule);
} table_template SEC(".maps");

/* Slot 0 holds the current table generation; the loader swaps it in one update. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct table);
} tables SEC(".maps") = {
	.values = { [0] = &table_template },
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TC_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} frame_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TC_MAX_RULES);
	__type(key, __u32);
	__type(value, struct tc_rule_counters);
} rule_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TC_MAX_RULES);
	__type(key, __u32);
	__type(value, struct tc_bucket);
} buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tc_test_request);
} test_request SEC(".maps");

#define ETH_LEN 14
#define IP4_TTL_OFF (ETH_LEN + 8)
#define IP4_CSUM_OFF (ETH_LEN + 10)
#define IP4_SRC_OFF (ETH_LEN + 12)
#define IP4_DST_OFF (ETH_LEN + 16)
#define UDP4_OFF (ETH_LEN + 20)
#define IP6_HOP_OFF (ETH_LEN + 7)
#define IP6_SRC_OFF (ETH_LEN + 8)
#define IP6_DST_OFF (ETH_LEN + 24)
#define UDP6_OFF (ETH_LEN + 40)

static __always_inline void count(__u32 index, __u64 by)
{
	__u64 *value = bpf_map_lookup_elem(&frame_counters, &index);
	if (value)
		*value += by;
}

/* The fields a rewrite changes, as they are in the frame right now. */
struct fields {
	__u8 dmac[6];
	__u8 smac[6];
	__u8 source[16];
	__u8 group[16];
	__be32 flow;   /* IPv6: the first word (version, traffic class, flow label) */
	__be16 port;
	__u8 ttl;
	__u8 proto;    /* IPv4: the byte that shares a checksum word with the TTL */
};

/* What parse() learned about a frame the program takes. */
struct frame {
	struct fields orig;
	__u8 ipv6;
	__u8 ttl;
	__u16 payload_length;
	__u32 length;
	__be16 ip_check_words_ok; /* IPv4: the header's words sum to 0xffff */
	__s32 vlan;
	struct tc_key key;
};

enum verdict { V_TAKE = 0, V_DEFER };

static __always_inline int same16(const __u8 *a, const __u8 *b)
{
	/* clang 14 turns __builtin_memcmp into an extern call for BPF: compare words by hand. */
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]));
}

static __always_inline __u16 fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Reads the frame into *f; V_DEFER when its layout is not one the program rewrites in place. */
static __always_inline int parse(struct __sk_buff *skb, struct frame *f)
{
	__u8 eth[ETH_LEN];
	struct udphdr udp;
	__u16 type;

	f->length = skb->len;
	if (bpf_skb_load_bytes(skb, 0, eth, ETH_LEN))
		return V_DEFER;
	__builtin_memcpy(f->orig.dmac, eth, 6);
	__builtin_memcpy(f->orig.smac, eth + 6, 6);
	type = ((__u16)eth[12] << 8) | eth[13];
	if (type == ETH_P_IP) {
		struct iphdr ip;
		__u64 sum;
		if (bpf_skb_load_bytes(skb, ETH_LEN, &ip, sizeof(ip)))
			return V_DEFER;
		/* version 4, no options; DF alone may be set (the copy carries DF and nothing else) */
		if (ip.version != 4 || ip.ihl != 5 || (ip.frag_off & bpf_htons(0xbfff)) || ip.protocol != IPPROTO_UDP)
			return V_DEFER;
		if (bpf_ntohs(ip.tot_len) != f->length - ETH_LEN)
			return V_DEFER;
		if (bpf_skb_load_bytes(skb, UDP4_OFF, &udp, sizeof(udp)))
			return V_DEFER;
		if (bpf_ntohs(udp.len) < 8 || bpf_ntohs(udp.len) != f->length - UDP4_OFF)
			return V_DEFER;
		sum = bpf_csum_diff(0, 0, (__be32 *)&ip, sizeof(ip), 0);
		f->ip_check_words_ok = fold(sum) == 0xffff;
		f->ipv6 = 0;
		f->orig.ttl = ip.ttl;
		f->orig.proto = ip.protocol;
		__builtin_memset(f->orig.source, 0, 16);
		__builtin_memset(f->orig.group, 0, 16);
		__builtin_memcpy(f->orig.source, &ip.saddr, 4);
		__builtin_memcpy(f->orig.group, &ip.daddr, 4);
		f->key.family = TC_KEY_IPV4;
	} else if (type == ETH_P_IPV6) {
		struct ipv6hdr ip6;
		if (bpf_skb_load_bytes(skb, ETH_LEN, &ip6, sizeof(ip6)))
			return V_DEFER;
		if (ip6.version != 6 || ip6.nexthdr != IPPROTO_UDP || ip6.payload_len == 0 ||
		    bpf_ntohs(ip6.payload_len) != f->length - UDP6_OFF)
			return V_DEFER;
		if (bpf_skb_load_bytes(skb, UDP6_OFF, &udp, sizeof(udp)))
			return V_DEFER;
		/* a checksum of 0 is malformed over IPv6: the packet engine counts it */
		if (bpf_ntohs(udp.len) < 8 || bpf_ntohs(udp.len) != f->length - UDP6_OFF || udp.check == 0)
			return V_DEFER;
		f->ip_check_words_ok = 1;
		f->ipv6 = 1;
		f->orig.ttl = ip6.hop_limit;
		f->orig.proto = IPPROTO_UDP;
		__builtin_memcpy(&f->orig.flow, &ip6, 4);
		__builtin_memcpy(f->orig.source, &ip6.saddr, 16);
		__builtin_memcpy(f->orig.group, &ip6.daddr, 16);
		f->key.family = TC_KEY_IPV6;
	} else {
		return V_DEFER;
	}
	f->orig.port = udp.dest;
	f->ttl = f->orig.ttl;
	f->payload_length = bpf_ntohs(udp.len) - 8;
	return V_TAKE;
}

/* The rule for the frame: an exact rule beats a range, a longer prefix a shorter one, a
 * source-specific rule a wildcard one at the same prefix (RuleTable::Lookup). */
static __always_inline struct tc_rule *lookup(void *table, struct frame *f)
{
	struct tc_rule *specific, *wildcard;
	struct tc_key *key = &f->key;

	key->prefixlen = TC_KEY_FIXED_BITS + 128;
	key->vlan = bpf_htons((__u16)(f->vlan + 1));
	key->port = f->orig.port;
	__builtin_memcpy(key->group, f->orig.group, 16);
	key->has_source = 1;
	__builtin_memcpy(key->source, f->orig.source, 16);
	specific = bpf_map_lookup_elem(table, key);
	key->has_source = 0;
	__builtin_memset(key->source, 0, 16);
	wildcard = bpf_map_lookup_elem(table, key);
	if (specific && specific->is_mac)
		specific = 0;
	if (wildcard && wildcard->is_mac)
		wildcard = 0;
	if (!specific)
		return wildcard;
	if (!wildcard)
		return specific;
	return wildcard->prefix > specific->prefix ? wildcard : specific;
}

static __always_inline int own_mac(void *table, struct frame *f)
{
	struct tc_key key = {};
	struct tc_rule *entry;

	key.prefixlen = TC_KEY_FIXED_BITS + 48;
	key.family = TC_KEY_MAC;
	__builtin_memcpy(key.group, f->orig.smac, 6);
	entry = bpf_map_lookup_elem(table, &key);
	return entry && entry->is_mac;
}

/* TakeToken (forward_path.hpp) on the rule's shared bucket. */
static __always_inline int take_token(struct tc_rule *rule)
{
	__u32 slot = rule->slot;
	struct tc_bucket *bucket = bpf_map_lookup_elem(&buckets, &slot);
	__u64 now = bpf_ktime_get_ns();
	int taken = 0;

	if (!bucket)
		return 1;
	bpf_spin_lock(&bucket->lock);
	if (bucket->updated_ns == 0 || now - bucket->updated_ns >= 1000000000ull) {
		bucket->credit = rule->burst_credit;
	} else if (now > bucket->updated_ns) {
		__u64 refill = (now - bucket->updated_ns) * rule->max_pps;
		bucket->credit = bucket->credit + refill > rule->burst_credit ? rule->burst_credit : bucket->credit + refill;
	}
	if (bucket->credit > rule->burst_credit)
		bucket->credit = rule->burst_credit;
	bucket->updated_ns = now;
	if (bucket->credit >= TC_CREDIT_PER_FRAME) {
		bucket->credit -= TC_CREDIT_PER_FRAME;
		taken = 1;
	}
	bpf_spin_unlock(&bucket->lock);
	return taken;
}

/* The fields of output `o`'s copy of the frame; -1 when it sends nothing (TTL expired). */
static __always_inline int target(struct frame *f, struct tc_output *o, struct fields *t)
{
	__u8 ttl;

	if (o->flags & TC_OUT_TTL_SET) {
		ttl = o->ttl;
	} else {
		if (f->ttl <= 1)
			return -1;
		ttl = o->ttl < f->ttl - 1 ? o->ttl : f->ttl - 1;
	}
	t->ttl = ttl;
	t->proto = f->orig.proto;
	t->port = o->port;
	__builtin_memcpy(t->smac, o->source_mac, 6);
	__builtin_memcpy(t->source, o->source, 16);
	__builtin_memcpy(t->group, o->group, 16);
	if (o->flags & TC_OUT_MAPS_RANGE) {
		__u32 *g = (__u32 *)t->group, *in = (__u32 *)f->orig.group, *m = (__u32 *)o->host_mask;
		g[0] |= in[0] & m[0];
		g[1] |= in[1] & m[1];
		g[2] |= in[2] & m[2];
		g[3] |= in[3] & m[3];
	}
	if (f->ipv6) {
		/* 33:33 + the low 32 bits; traffic class kept, flow label 0 */
		t->dmac[0] = 0x33;
		t->dmac[1] = 0x33;
		__builtin_memcpy(t->dmac + 2, t->group + 12, 4);
		t->flow = f->orig.flow & bpf_htonl(0xfff00000);
	} else {
		/* 01:00:5e + the low 23 bits */
		t->dmac[0] = 0x01;
		t->dmac[1] = 0x00;
		t->dmac[2] = 0x5e;
		t->dmac[3] = t->group[1] & 0x7f;
		t->dmac[4] = t->group[2];
		t->dmac[5] = t->group[3];
		t->flow = 0;
	}
	return 0;
}

/* Rewrites the frame from *cur to *to with incremental checksum updates; *cur becomes *to.
 * MACs are outside skb->csum at ingress (no BPF_F_RECOMPUTE_CSUM); an address change goes through
 * the IPv4 header checksum and the UDP pseudo-header; BPF_F_MARK_MANGLED_0 keeps an IPv4 "no
 * checksum" 0 and sends a computed 0 as 0xffff, as UdpChecksumField does. */
static __always_inline int rewrite(struct __sk_buff *skb, int v6, struct fields *cur, struct fields *to)
{
	int udp = v6 ? UDP6_OFF : UDP4_OFF;
	int check = udp + 6;

	if (bpf_skb_store_bytes(skb, 0, to->dmac, 6, 0) || bpf_skb_store_bytes(skb, 6, to->smac, 6, 0))
		return -1;
	if (!v6) {
		__u32 from, into;
		__builtin_memcpy(&from, cur->source, 4);
		__builtin_memcpy(&into, to->source, 4);
		if (from != into) {
			if (bpf_l3_csum_replace(skb, IP4_CSUM_OFF, from, into, 4) ||
			    bpf_l4_csum_replace(skb, check, from, into, 4 | BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0) ||
			    bpf_skb_store_bytes(skb, IP4_SRC_OFF, &into, 4, 0))
				return -1;
		}
		__builtin_memcpy(&from, cur->group, 4);
		__builtin_memcpy(&into, to->group, 4);
		if (from != into) {
			if (bpf_l3_csum_replace(skb, IP4_CSUM_OFF, from, into, 4) ||
			    bpf_l4_csum_replace(skb, check, from, into, 4 | BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0) ||
			    bpf_skb_store_bytes(skb, IP4_DST_OFF, &into, 4, 0))
				return -1;
		}
		if (cur->ttl != to->ttl) {
			/* the 16-bit word {TTL, protocol}; the TTL is not in the pseudo-header */
			__be16 old_word = bpf_htons(((__u16)cur->ttl << 8) | cur->proto);
			__be16 new_word = bpf_htons(((__u16)to->ttl << 8) | to->proto);
			if (bpf_l3_csum_replace(skb, IP4_CSUM_OFF, old_word, new_word, 2) ||
			    bpf_skb_store_bytes(skb, IP4_TTL_OFF, &to->ttl, 1, 0))
				return -1;
		}
	} else {
		if (!same16(cur->source, to->source)) {
			__s64 diff = bpf_csum_diff((__be32 *)cur->source, 16, (__be32 *)to->source, 16, 0);
			if (diff < 0 ||
			    bpf_l4_csum_replace(skb, check, 0, (__u32)diff, BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0) ||
			    bpf_skb_store_bytes(skb, IP6_SRC_OFF, to->source, 16, 0))
				return -1;
		}
		if (!same16(cur->group, to->group)) {
			__s64 diff = bpf_csum_diff((__be32 *)cur->group, 16, (__be32 *)to->group, 16, 0);
			if (diff < 0 ||
			    bpf_l4_csum_replace(skb, check, 0, (__u32)diff, BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0) ||
			    bpf_skb_store_bytes(skb, IP6_DST_OFF, to->group, 16, 0))
				return -1;
		}
		/* neither is covered by a checksum; both are by skb->csum when it is complete */
		if (cur->flow != to->flow && bpf_skb_store_bytes(skb, ETH_LEN, &to->flow, 4, BPF_F_RECOMPUTE_CSUM))
			return -1;
		if (cur->ttl != to->ttl && bpf_skb_store_bytes(skb, IP6_HOP_OFF, &to->ttl, 1, BPF_F_RECOMPUTE_CSUM))
			return -1;
	}
	if (cur->port != to->port) {
		if (bpf_l4_csum_replace(skb, check, cur->port, to->port, 2 | BPF_F_MARK_MANGLED_0) ||
		    bpf_skb_store_bytes(skb, udp + 2, &to->port, 2, 0))
			return -1;
	}
	*cur = *to;
	return 0;
}

static long spin(__u32 index, void *context)
{
	return 0;
}

/* Everything up to the outputs, shared by both entry points. Returns 0 with *rule set when the
 * frame's outputs are to be sent, else the tc_test_answer that says why not (counted). */
static __always_inline int decide(struct __sk_buff *skb, struct frame *f, struct tc_rule **out, int take)
{
	__u32 zero = 0;
	struct tc_rule *rule;
	struct tc_rule_counters *rc;
	void *table;

	if (parse(skb, f) != V_TAKE) {
		count(TC_C_DEFERRED, 1);
		return TC_TEST_DEFERRED;
	}
	table = bpf_map_lookup_elem(&tables, &zero);
	if (!table) {
		count(TC_C_DEFERRED, 1);
		return TC_TEST_DEFERRED;
	}
	count(TC_C_FRAMES_SEEN, 1);
	if (own_mac(table, f)) {
		count(TC_C_OWN_FRAMES, 1);
		return TC_TEST_OWN_FRAME;
	}
	rule = lookup(table, f);
	if (!rule) {
		count(TC_C_NO_MATCH, 1);
		return TC_TEST_NO_MATCH;
	}
	if (!f->ip_check_words_ok) {
		count(TC_C_BAD_CHECKSUM, 1);
		return TC_TEST_BAD_CHECKSUM;
	}
	count(TC_C_MATCHED, 1);
	rc = bpf_map_lookup_elem(&rule_counters, &rule->slot);
	if (rc) {
		rc->matched += 1;
		rc->bytes += f->payload_length;
	}
	if (rule->max_pps && take && !take_token(rule)) {
		count(TC_C_RATE_LIMITED, 1);
		if (rc)
			rc->rate_limited += 1;
		return TC_TEST_RATE_LIMITED;
	}
	*out = rule;
	return 0;
}

SEC("tc")
int mcr_tc_ingress(struct __sk_buff *skb)
{
	struct frame f = {};
	struct fields cur, to = {};
	struct tc_rule *rule = 0;
	struct tc_rule_counters *rc;
	__u32 i, n, vlan_tci = 0;
	__be16 vlan_proto = 0;
	int touched = 0, expired = 0, popped = 0;

	if (injected_cost_loops)
		bpf_loop(injected_cost_loops, spin, 0, 0);
	f.vlan = -1;
	if (skb->vlan_present && (skb->vlan_tci & 0x0fff)) {
		f.vlan = skb->vlan_tci & 0x0fff;
	}
	if (decide(skb, &f, &rule, 1) || !rule)
		return TC_ACT_OK;
	rc = bpf_map_lookup_elem(&rule_counters, &rule->slot);
	if (!rc)
		return TC_ACT_OK; /* a slot is always below TC_MAX_RULES: not reached */
	cur = f.orig;
	n = rule->n_outputs;
	for (i = 0; i < TC_MAX_OUTPUTS; i++) {
		struct tc_output *o;
		if (i >= n)
			break;
		o = &rule->outputs[i];
		if (o->ifindex == 0) {
			count(TC_C_OUTPUT_ABSENT, 1);
			continue;
		}
		if (target(&f, o, &to)) {
			expired = 1;
			continue;
		}
		if (!popped && skb->vlan_present) {
			/* the copies go out untagged, as the packet engine's do */
			vlan_proto = skb->vlan_proto;
			vlan_tci = skb->vlan_tci;
			if (bpf_skb_vlan_pop(skb))
				goto broken;
			popped = 1;
		}
		touched = 1;
		if (rewrite(skb, f.ipv6, &cur, &to))
			goto broken;
		if (bpf_clone_redirect(skb, o->ifindex, 0) == 0) {
			count(TC_C_FORWARDED, 1);
			rc->outputs[i].packets += 1;
			rc->outputs[i].bytes += f.length;
		} else {
			count(TC_C_TX_ERRORS, 1);
			rc->outputs[i].tx_errors += 1;
		}
	}
	if (expired)
		count(TC_C_TTL_EXPIRED, 1);
	if (touched && rewrite(skb, f.ipv6, &cur, &f.orig))
		goto broken;
	if (popped && bpf_skb_vlan_push(skb, vlan_proto, vlan_tci))
		goto broken;
	return TC_ACT_OK;
broken:
	/* never deliver a half-rewritten original */
	count(TC_C_REWRITE_ERRORS, 1);
	return TC_ACT_SHOT;
}

/* TEST-ONLY entry for BPF_PROG_TEST_RUN, never attached: the same decision and rewrite for the
 * output test_request.output, whose bytes it leaves in the frame (data_out) instead of cloning. */
SEC("tc")
int mcr_tc_test_emit(struct __sk_buff *skb)
{
	struct frame f = {};
	struct fields cur, to = {};
	struct tc_rule *rule = 0;
	struct tc_test_request *request;
	struct tc_output *o;
	__u32 zero = 0, k;
	int answer;

	request = bpf_map_lookup_elem(&test_request, &zero);
	if (!request)
		return TC_TEST_ERROR;
	f.vlan = (__s32)request->vlan - 1;
	answer = decide(skb, &f, &rule, request->take_token);
	if (answer || !rule)
		return answer ? answer : TC_TEST_ERROR;
	k = request->output;
	if (k >= TC_MAX_OUTPUTS || k >= rule->n_outputs)
		return TC_TEST_NO_OUTPUT;
	o = &rule->outputs[k];
	if (o->ifindex == 0 || target(&f, o, &to))
		return TC_TEST_SKIPPED;
	cur = f.orig;
	if (rewrite(skb, f.ipv6, &cur, &to))
		return TC_TEST_ERROR;
	return TC_TEST_EMITTED;
}
