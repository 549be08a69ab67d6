// Facts a run derives from its observations that many checks ask for (a CRL's signature by an issuer, the issuer
// links of a chain, a certificate's revocation status): computed once per run and dropped with it. Here rather than
// in module-level maps, so that nothing outlives the run or leaks between runs of one process (tests, the lab).
export class RunMemo {
  private readonly entries = new Map<string, unknown>();
  /** How many times each kind of fact was actually computed: what the per-run caches are tested by. */
  readonly computed = new Map<string, number>();

  /** The fact `kind` about `key`, computed by `compute` the first time it is asked for in this run. */
  once<T>(kind: string, key: string, compute: () => T): T {
    const id = `${kind}\n${key}`;
    if (this.entries.has(id)) return this.entries.get(id) as T;
    this.computed.set(kind, (this.computed.get(kind) ?? 0) + 1);
    const value = compute();
    this.entries.set(id, value);
    return value;
  }
}
