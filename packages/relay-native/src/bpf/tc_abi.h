/* The tc engine's map layouts, shared by the BPF program (relay_tc.bpf.c) and its loader
 * (tc_engine.cc). Addresses and ports are in network byte order. A table generation is one LPM trie
 * (the inner map of `tables`), holding both the rules and the host's own MACs, so one map update
 * swaps all of it. */
#ifndef MCR_TC_ABI_H
#define MCR_TC_ABI_H

#include <linux/bpf.h> /* struct bpf_spin_lock */

#ifdef __cplusplus
#include <cstdint>
typedef uint8_t tc_u8;
typedef uint16_t tc_u16;
typedef uint32_t tc_u32;
typedef uint64_t tc_u64;
#else
typedef __u8 tc_u8;
typedef __u16 tc_u16;
typedef __u32 tc_u32;
typedef __u64 tc_u64;
#endif

/* Outputs per rule the program clones to: a rule with more stays with the packet engine. */
#define TC_MAX_OUTPUTS 16
/* Rules per table (NATIVE_LIMITS.maxRulesPerTable) plus own MACs (NATIVE_LIMITS.maxOwnMacs). */
#define TC_MAX_RULES 4096
#define TC_MAX_OWN_MACS 1024
#define TC_TABLE_ENTRIES (TC_MAX_RULES + TC_MAX_OWN_MACS)

/* Key families: a rule of either IP family, or one of the host's MACs (loop guard). */
#define TC_KEY_MAC 0
#define TC_KEY_IPV4 4
#define TC_KEY_IPV6 6

/* Bits of the key before the group: family, hasSource, VLAN, port, source. */
#define TC_KEY_FIXED_BITS ((1 + 1 + 2 + 2 + 16) * 8)

struct tc_key {
	tc_u32 prefixlen;   /* LPM: TC_KEY_FIXED_BITS + the group's prefix length */
	tc_u8 family;       /* TC_KEY_* */
	tc_u8 has_source;   /* 1: source-specific rule (source holds it); 0: source all zero */
	tc_u16 vlan;        /* big-endian VLAN id + 1; 0: untagged */
	tc_u16 port;        /* big-endian destination port */
	tc_u8 source[16];   /* IPv4 in the first 4 bytes */
	tc_u8 group[16];    /* IPv4 in the first 4 bytes; a MAC key: the MAC in the first 6 */
} __attribute__((packed));

#define TC_OUT_IPV6 0x01      /* the rule's family */
#define TC_OUT_TTL_SET 0x02   /* ttlMode 'set' */
#define TC_OUT_MAPS_RANGE 0x04 /* offset mapping: group | (input destination & host_mask) */

struct tc_output {
	tc_u32 ifindex;     /* 0: absent (counted, nothing sent) */
	tc_u8 flags;        /* TC_OUT_* */
	tc_u8 ttl;
	tc_u16 port;        /* big-endian */
	tc_u8 source_mac[6];
	tc_u8 pad[2];
	tc_u8 group[16];
	tc_u8 source[16];
	tc_u8 host_mask[16];
};

struct tc_rule {
	tc_u32 slot;        /* into rule_counters and buckets; stable for a rule id across tables */
	tc_u16 prefix;      /* the group's prefix length (32 / 128: exact) */
	tc_u8 n_outputs;
	tc_u8 is_mac;       /* a loop-guard entry, not a rule */
	tc_u32 max_pps;     /* 0: unlimited */
	tc_u32 pad;
	tc_u64 burst_credit; /* max(1, max_pps / 10) * TC_CREDIT_PER_FRAME */
	struct tc_output outputs[TC_MAX_OUTPUTS];
};

/* One frame costs this much credit; a second refills max_pps frames (forward_path.hpp). */
#define TC_CREDIT_PER_FRAME 1000000000ull

struct tc_output_counters {
	tc_u64 packets;
	tc_u64 bytes;
	tc_u64 tx_errors;
};

struct tc_rule_counters {
	tc_u64 matched;
	tc_u64 bytes;
	tc_u64 rate_limited;
	struct tc_output_counters outputs[TC_MAX_OUTPUTS];
};

/* Per-CPU frame counters, the packet engine's WorkerCounters plus `deferred`. */
enum tc_counter {
	TC_C_FRAMES_SEEN = 0, /* frames the program decided on (deferred ones excluded) */
	TC_C_MATCHED,
	TC_C_NO_MATCH,
	TC_C_FORWARDED,
	TC_C_TX_ERRORS,
	TC_C_OWN_FRAMES,
	TC_C_BAD_CHECKSUM,
	TC_C_TTL_EXPIRED,
	TC_C_RATE_LIMITED,
	TC_C_OUTPUT_ABSENT,
	TC_C_DEFERRED,        /* left to the packet engine (a layout the program does not rewrite in place) */
	TC_C_REWRITE_ERRORS,  /* a helper failed mid-rewrite: the frame was dropped */
	TC_C_MAX
};

struct tc_bucket {
	struct bpf_spin_lock lock;
	tc_u32 pad;
	tc_u64 credit;
	tc_u64 updated_ns;  /* 0: never used (starts full) */
};

/* The test-only entry's request (array map `test_request`, key 0); its answer is the retval
 * (TC_TEST_*), and for TC_TEST_EMITTED the frame holds the output's bytes. */
enum tc_test_answer {
	TC_TEST_EMITTED = 100,   /* the output's bytes are in the frame */
	TC_TEST_SKIPPED,         /* this output sends nothing for the frame (absent, TTL expired) */
	TC_TEST_NO_OUTPUT,       /* the rule has no such output */
	TC_TEST_DEFERRED,        /* the frame is left to the packet engine */
	TC_TEST_NO_MATCH,
	TC_TEST_OWN_FRAME,
	TC_TEST_BAD_CHECKSUM,
	TC_TEST_RATE_LIMITED,
	TC_TEST_ERROR,
};
struct tc_test_request {
	tc_u32 output;      /* which output's bytes to leave in the frame */
	tc_u32 vlan;        /* the VLAN the skb's metadata would hold: id + 1, 0 for none */
	tc_u32 take_token;  /* 1: this run consumes a token of a rate-limited rule */
};

#endif
