// The prefix trie behind --service-tags: every prefix that contains an address, and only those, at the size of
// Microsoft's weekly file against a fleet's addresses.
import { describe, expect, it } from 'vitest';
import { PrefixTrie } from '../model/prefix-trie.js';

/** A deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bytes(next: () => number, count: number): number[] {
  return Array.from({ length: count }, () => Math.floor(next() * 256));
}

/** Whether the first `length` bits of a and b agree: the scan the trie replaces, as the reference. */
function contains(prefix: readonly number[], length: number, address: readonly number[]): boolean {
  for (let i = 0; i < length; i++) {
    const bit = (b: readonly number[]) => ((b[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;
    if (bit(prefix) !== bit(address)) return false;
  }
  return true;
}

describe('prefix trie', () => {
  it('finds every prefix containing an address, shortest first, and none that does not', () => {
    const trie = new PrefixTrie<string>(32);
    trie.insert([10, 0, 0, 0], 8, '10/8');
    trie.insert([10, 1, 0, 0], 16, '10.1/16');
    trie.insert([10, 1, 2, 3], 32, '10.1.2.3/32');
    trie.insert([10, 1, 0, 0], 16, 'another tag, same prefix');
    trie.insert([0, 0, 0, 0], 0, 'everything');
    expect(trie.match([10, 1, 2, 3])).toEqual(['everything', '10/8', '10.1/16', 'another tag, same prefix', '10.1.2.3/32']);
    expect(trie.match([10, 1, 2, 4])).toEqual(['everything', '10/8', '10.1/16', 'another tag, same prefix']);
    expect(trie.match([11, 0, 0, 1])).toEqual(['everything']);
    // An IPv6 address is not looked up in an IPv4 trie.
    expect(trie.match(new Array(16).fill(0))).toEqual([]);
  });

  it('refuses a prefix longer than the address or of the other family', () => {
    const trie = new PrefixTrie<number>(32);
    expect(() => trie.insert([1, 2, 3, 4], 33, 1)).toThrow(/a \/33 prefix/);
    expect(() => trie.insert(new Array(16).fill(0), 64, 1)).toThrow(/128 bits in a trie of 32-bit/);
  });

  it('agrees with a scan of every prefix, IPv4 and IPv6', () => {
    for (const [bits, seed] of [[32, 1], [128, 2]] as const) {
      const next = random(seed);
      const trie = new PrefixTrie<number>(bits);
      const prefixes = Array.from({ length: 500 }, () => ({ bytes: bytes(next, bits / 8), length: Math.floor(next() * 12) }));
      prefixes.forEach((p, i) => trie.insert(p.bytes, p.length, i));
      for (let n = 0; n < 300; n++) {
        const address = bytes(next, bits / 8);
        const expected = prefixes.flatMap((p, i) => (contains(p.bytes, p.length, address) ? [i] : []));
        expect(trie.match(address).sort((a, b) => a - b)).toEqual(expected);
      }
    }
  });

  it('matches 10,000 prefixes against 4,000 addresses (the size of the weekly file against a fleet)', () => {
    const next = random(3);
    const v4 = new PrefixTrie<number>(32);
    const v6 = new PrefixTrie<number>(128);
    const kept: Array<{ bytes: number[]; length: number }> = [];
    for (let i = 0; i < 10_000; i++) {
      const v6Prefix = i % 4 === 0;
      const prefix = { bytes: bytes(next, v6Prefix ? 16 : 4), length: v6Prefix ? 32 + Math.floor(next() * 33) : 12 + Math.floor(next() * 21) };
      (v6Prefix ? v6 : v4).insert(prefix.bytes, prefix.length, i);
      if (!v6Prefix) kept.push(prefix);
    }
    let matched = 0;
    for (let i = 0; i < 4_000; i++) {
      // Half the addresses inside a known prefix, half anywhere.
      const inside = kept[i % kept.length];
      const address = i % 2 === 0 && inside ? [...inside.bytes] : bytes(next, i % 3 === 0 ? 16 : 4);
      const found = (address.length === 4 ? v4 : v6).match(address);
      if (found.length > 0) matched++;
    }
    expect(matched).toBeGreaterThanOrEqual(2_000);
    // Shared prefixes share nodes: far fewer than 10,000 × 128.
    expect(v4.size + v6.size).toBeLessThan(10_000 * 64);
  });
});
