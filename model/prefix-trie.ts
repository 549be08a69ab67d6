// A binary trie over address bits: which of many prefixes contain an address. Microsoft's service tags file holds
// tens of thousands of prefixes and a fleet's results thousands of addresses; scanning every prefix for every
// address is their product (tens of millions of comparisons), a walk down the trie is at most 32 or 128 steps.
// Nodes live in two growable Int32Arrays (child for bit 0, child for bit 1) rather than as objects: a quarter of a
// million nodes as objects is most of the memory and the time of building the index.

const NO_CHILD = 0;
const INITIAL_NODES = 1024;

export class PrefixTrie<V> {
  /** zero[n], one[n]: the child of node n for that bit, NO_CHILD when there is none (node 0 is the root). */
  private zero = new Int32Array(INITIAL_NODES);
  private one = new Int32Array(INITIAL_NODES);
  private nodes = 1;
  /** The values of the prefixes that end at a node. */
  private readonly values = new Map<number, V[]>();

  /** `bits`: the address's length in bits (32 or 128); every address and prefix of one trie has it. */
  constructor(readonly bits: number) {}

  /** Adds the prefix `bytes`/`length` (its first `length` bits count) with `value`. */
  insert(bytes: ArrayLike<number>, length: number, value: V): void {
    if (length < 0 || length > this.bits || bytes.length * 8 !== this.bits) throw new RangeError(`a /${length} prefix of ${bytes.length * 8} bits in a trie of ${this.bits}-bit addresses`);
    let node = 0;
    for (let i = 0; i < length; i++) {
      const side = bitAt(bytes, i) === 0 ? this.zero : this.one;
      let child = side[node] ?? NO_CHILD;
      if (child === NO_CHILD) {
        child = this.allocate();
        // allocate() may have replaced the arrays: write through the current one.
        (bitAt(bytes, i) === 0 ? this.zero : this.one)[node] = child;
      }
      node = child;
    }
    const here = this.values.get(node);
    if (here) here.push(value);
    else this.values.set(node, [value]);
  }

  /** The values of every prefix that contains the address, the shortest prefix's first. */
  match(bytes: ArrayLike<number>): V[] {
    if (bytes.length * 8 !== this.bits) return [];
    const found: V[] = [];
    let node = 0;
    for (let i = 0; ; i++) {
      const here = this.values.get(node);
      if (here) found.push(...here);
      if (i === this.bits) break;
      const child = (bitAt(bytes, i) === 0 ? this.zero : this.one)[node] ?? NO_CHILD;
      if (child === NO_CHILD) break;
      node = child;
    }
    return found;
  }

  /** How many nodes the trie holds (for tests that check it shares common prefixes). */
  get size(): number {
    return this.nodes;
  }

  private allocate(): number {
    if (this.nodes === this.zero.length) {
      const grow = (old: Int32Array) => {
        const next = new Int32Array(old.length * 2);
        next.set(old);
        return next;
      };
      this.zero = grow(this.zero);
      this.one = grow(this.one);
    }
    return this.nodes++;
  }
}

/** Bit i of the address, most significant first. */
function bitAt(bytes: ArrayLike<number>, i: number): number {
  return ((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;
}
