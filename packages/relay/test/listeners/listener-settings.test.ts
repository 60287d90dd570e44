import { describe, expect, it } from 'vitest';
import { LISTENER_DEFAULTS, listenerSettingsSchema } from '../../src/listeners/listener-settings.js';
import { protocolIntervals } from '../../src/listeners/protocol-intervals.js';
import { configIssues } from '../../src/config/schema-fields.js';

function issues(value: unknown) {
  const result = listenerSettingsSchema.safeParse(value);
  return result.success ? [] : configIssues(result.error.issues, 'igmp', value);
}

describe('listener settings', () => {
  it('defaults to the RFC values', () => {
    expect(listenerSettingsSchema.parse({})).toEqual(LISTENER_DEFAULTS);
    expect(LISTENER_DEFAULTS).toEqual({ join: true, querier: 'auto', igmpVersion: 3, mldVersion: 2, robustness: 2, queryInterval: 125, queryResponseInterval: 10, lastMemberQueryInterval: 1 });
  });

  it('derives the RFC 3376 §8 intervals in milliseconds', () => {
    expect(protocolIntervals(LISTENER_DEFAULTS)).toEqual({
      robustness: 2,
      queryIntervalMs: 125_000,
      queryResponseIntervalMs: 10_000,
      groupMembershipMs: 260_000,
      otherQuerierPresentMs: 255_000,
      startupQueryIntervalMs: 31_250,
      startupQueryCount: 2,
      lastMemberQueryIntervalMs: 1_000,
      lastMemberQueryCount: 2,
      lastMemberQueryTimeMs: 2_000,
      olderHostPresentMs: 260_000,
    });
  });

  it('accepts short timers: a 1 s query interval, a 0.1 s last member query interval', () => {
    expect(issues({ queryInterval: 1, queryResponseInterval: 0.5, lastMemberQueryInterval: 0.1 })).toEqual([]);
    expect(protocolIntervals(listenerSettingsSchema.parse({ queryInterval: 1, queryResponseInterval: 0.5, lastMemberQueryInterval: 0.1 }))).toMatchObject({ groupMembershipMs: 2_500, lastMemberQueryTimeMs: 200 });
  });

  it('refuses what the protocol cannot carry, each with its path', () => {
    expect(issues({ queryInterval: 0.5 })).toEqual([{ path: 'igmp.queryInterval', message: 'must be a number 1..31744, got 0.5' }]);
    expect(issues({ lastMemberQueryInterval: 0.05 })).toEqual([{ path: 'igmp.lastMemberQueryInterval', message: 'must be a number 0.1..3174.4, got 0.05' }]);
    expect(issues({ robustness: 0 })).toEqual([{ path: 'igmp.robustness', message: 'must be 1..7, got 0' }]);
    expect(issues({ querier: 'sometimes' })).toEqual([{ path: 'igmp.querier', message: 'must be one of auto | always | never, got "sometimes"' }]);
    expect(issues({ mldVersion: 3 })).toEqual([{ path: 'igmp.mldVersion', message: 'must be 1..2, got 3' }]);
    expect(issues({ queryIntrval: 10 })).toEqual([{ path: 'igmp.queryIntrval', message: expect.stringMatching(/^unknown field/) }]);
  });

  it('refuses a response interval not shorter than the query interval, and IGMPv2 response times beyond 25.5 s', () => {
    expect(issues({ queryInterval: 10, queryResponseInterval: 10 })).toEqual([{ path: 'igmp.queryResponseInterval', message: expect.stringMatching(/^must be less than queryInterval/) }]);
    expect(issues({ igmpVersion: 2, queryResponseInterval: 30 })).toEqual([{ path: 'igmp.igmpVersion', message: expect.stringMatching(/^IGMPv2 queries carry at most 25.5 s/) }]);
    expect(issues({ igmpVersion: 3, queryResponseInterval: 30 })).toEqual([]);
  });
});
