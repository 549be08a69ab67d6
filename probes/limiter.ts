// A counting semaphore: at most `limit` network operations in flight, the rest queued in arrival order.
export interface LimiterOptions {
  /**
   * Give an operation's slot back after this long even if it is still running: the cap then bounds how many
   * operations START per interval (a send rate, what a peer's receive buffer feels), not how many wait at once.
   */
  releaseAfterMs?: number;
  /** Called when an operation has to wait for a slot (see elastic-limit.ts). */
  onQueued?: () => void;
}

export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private limit: number, private readonly options: LimiterOptions = {}) {}

  get cap(): number {
    return this.limit;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Changes the cap: waiters are admitted at once when it grows; when it shrinks, slots are not handed on until below it. */
  resize(limit: number): void {
    this.limit = limit;
    for (let next = this.waiting[0]; next !== undefined && this.active < this.limit; next = this.waiting[0]) {
      this.waiting.shift();
      this.active++;
      next();
    }
  }

  async run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      const turn = new Promise<void>((resolve) => this.waiting.push(resolve));
      this.options.onQueued?.();
      await turn;
    } else {
      this.active++;
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.release();
    };
    const early = this.options.releaseAfterMs === undefined ? undefined : setTimeout(release, this.options.releaseAfterMs);
    try {
      return await operation();
    } finally {
      clearTimeout(early);
      release();
    }
  }

  private release(): void {
    // Hand the slot straight to the next waiter, so `active` never dips and lets a newcomer jump the queue.
    const next = this.active <= this.limit ? this.waiting.shift() : undefined;
    if (next) next();
    else this.active--;
  }
}
