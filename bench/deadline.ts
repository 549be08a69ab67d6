// Every wait of the bench has a deadline: a hung child, server or request ends the run with an error, never a hang.

/** `promise`, or a rejection naming `what` once `timeoutMs` has passed; `onTimeout` lets the caller give up its work. */
export async function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new Error(`${what} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
