// How V8 grows this process's heap. After each full collection V8 lets the old generation grow to several times
// what survived (a factor it raises for a process that allocates fast) before collecting again. A large run keeps
// 50–80 MB alive and allocates garbage at a high rate (every handshake's evidence, promises, messages): the heap grew
// to four times its live size, all of it garbage, and that was the run's peak memory. A fixed factor of 1.5 keeps
// the peak near what is alive, for more frequent marking that V8 does concurrently (measured: about 30 MB less at
// 2,000 endpoints, no CPU cost). The flag is read at each collection, so setting it as the CLI starts applies to
// the whole run; it is not passed on the #! line because that needs `env -S`, which busybox's env does not have.
import v8 from 'node:v8';

const HEAP_GROWING_PERCENT = 50;

export function boundHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
