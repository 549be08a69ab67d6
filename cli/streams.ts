// Leaving the process without losing output. `process.exit()` right after a write drops whatever a pipe has not
// taken yet (a slow `| jq` got the first 65,536 bytes of a report), so the CLI exits only once stdout and stderr
// have handed everything to the reader, or the reader has gone away.

type Output = NodeJS.WriteStream;

/**
 * A reader that closes the pipe early (`| head`) makes the next write fail with EPIPE, emitted as an 'error'
 * event: unhandled, it would crash the run with a stack trace. The run's outcome does not depend on who reads
 * it, so the error is dropped and the exit code stays the run's.
 */
export function tolerateClosedReaders(outputs: readonly Output[] = [process.stdout, process.stderr]): void {
  for (const output of outputs) output.on('error', () => {});
}

/** Resolves once everything written to `output` so far has been taken by the reader, or the reader is gone. */
export function flushed(output: Output): Promise<void> {
  return new Promise((resolve) => {
    if (output.destroyed || output.writableEnded) return resolve();
    // Writes complete in order: the callback of an empty write runs after every earlier write has completed
    // (or failed, e.g. EPIPE, which is reported to the callback as well).
    output.write('', () => resolve());
  });
}

/** Exits with `code` once stdout and stderr have drained. */
export async function exitWhenFlushed(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
