// Per-request timeouts without a timer each. Every request of a routing has the same timeout, and
// requests start in clock order, so their deadlines come in order too: a queue where each new
// deadline goes at the tail, any one leaves from anywhere (answered in time), and one timer waits
// for the head. A `setTimeout`/`clearTimeout` pair per request allocated a timer object, read
// libuv's clock and linked it into Node's timer lists.

/** A deadline in a `DeadlineQueue`: `expire` runs if it is still queued when its time comes. */
export class Deadline {
  /** @internal */ prev: Deadline | undefined = undefined;
  /** @internal */ next: Deadline | undefined = undefined;
  /** @internal */ queued = false;

  constructor(
    /** When it expires, on `performance.now()`'s clock. */
    readonly at: number,
    readonly expire: () => void,
  ) {}
}

/** Deadlines `ms` after their start, expired in order by one timer. */
export class DeadlineQueue {
  #head: Deadline | undefined = undefined;
  #tail: Deadline | undefined = undefined;
  #timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    readonly ms: number,
    /** Reads the clock (`performance.now()` in use; tests pass their own). */
    readonly now: () => number,
  ) {}

  /**
   * Queues `expire` to run `ms` after `start` (a reading of `now`, no earlier than any start
   * queued before). `cancel` the deadline returned once it no longer applies.
   */
  add(start: number, expire: () => void): Deadline {
    const deadline = new Deadline(start + this.ms, expire);
    const tail = this.#tail;
    if (tail === undefined) this.#head = deadline;
    else {
      tail.next = deadline;
      deadline.prev = tail;
    }
    this.#tail = deadline;
    deadline.queued = true;
    if (this.#timer === undefined) this.#arm(deadline.at);
    return deadline;
  }

  /** Takes `deadline` out of the queue; it will not expire. Cancelling twice is harmless. */
  cancel(deadline: Deadline): void {
    if (!deadline.queued) return;
    deadline.queued = false;
    const { prev, next } = deadline;
    if (prev === undefined) this.#head = next;
    else prev.next = next;
    if (next === undefined) this.#tail = prev;
    else next.prev = prev;
    deadline.prev = undefined;
    deadline.next = undefined;
    // The timer stays armed: when it fires for a deadline that left, it waits for the next one.
  }

  /** No deadline is queued. */
  get empty(): boolean {
    return this.#head === undefined;
  }

  #arm(at: number): void {
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, Math.ceil(at - this.now())));
    // The requests waiting keep the process alive; their deadlines alone need not.
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    const now = this.now();
    // Bounded: each round takes one deadline off the queue.
    for (let head = this.#head; head !== undefined && head.at <= now; head = this.#head) {
      this.cancel(head);
      head.expire();
    }
    const next = this.#head;
    if (next !== undefined && this.#timer === undefined) this.#arm(next.at);
  }
}
