// After a test file that opens beds: clean whatever a failed test left, then insist that nothing of
// the beds remains (namespaces, open beds). The backstop and the leak check in one place.
import { afterAll, expect } from 'vitest';
import { bedPrefixes, liveBeds } from '../src/bed/index.js';
import { clean, listNamespaces } from '@mcr/netns-lab';

export function expectBedsClosedAfterAll(): void {
  afterAll(async () => {
    const prefixes = bedPrefixes();
    for (const p of prefixes) await clean(p);
    const left = (await listNamespaces()).filter((n) => prefixes.some((p) => n.startsWith(`${p}-`)));
    expect(left).toEqual([]);
    expect(liveBeds()).toEqual([]);
  });
}
