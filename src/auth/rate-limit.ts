import type { Clock } from '../lib/clock.js';

/** Keeps memory bounded whatever an attacker sends: the oldest keys are forgotten first. */
class BoundedMap<V> extends Map<string, V> {
  constructor(private readonly max: number) {
    super();
  }

  override set(key: string, value: V): this {
    if (!this.has(key) && this.size >= this.max) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}

export interface Verdict {
  ok: boolean;
  /** Seconds to wait when not ok. */
  retryAfter: number;
}

const OK: Verdict = { ok: true, retryAfter: 0 };

/**
 * A token bucket per key (an IP address): `capacity` attempts at once, refilled at one every
 * `refillMs`. Cheap to check, and a burst from one address cannot starve everyone else.
 */
export class TokenBucket {
  private readonly buckets: BoundedMap<{ tokens: number; at: number }>;

  constructor(
    private readonly clock: Clock,
    private readonly capacity: number,
    private readonly refillMs: number,
    maxKeys = 10_000,
  ) {
    this.buckets = new BoundedMap(maxKeys);
  }

  take(key: string): Verdict {
    const now = this.clock.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    const refilled = Math.min(this.capacity, bucket.tokens + (now - bucket.at) / this.refillMs);
    if (refilled < 1) {
      this.buckets.set(key, { tokens: refilled, at: now });
      return { ok: false, retryAfter: Math.ceil(((1 - refilled) * this.refillMs) / 1000) };
    }
    this.buckets.set(key, { tokens: refilled - 1, at: now });
    return OK;
  }
}

/**
 * Growing delays after consecutive failures for one key (an account name, or one trusted
 * browser of an account). The first few failures cost nothing, then each further attempt
 * must wait 1 s, 2 s, 4 s … up to `maxDelayMs`. There is never a hard lock-out, so an attacker
 * hammering a name cannot shut its writer out for good — and a browser that signed in before
 * has its own key (see device cookies in routes/auth), unaffected by the attacker's failures.
 */
export class FailureDelay {
  private readonly failures: BoundedMap<{ count: number; last: number }>;

  constructor(
    private readonly clock: Clock,
    private readonly freeFailures = 4,
    private readonly maxDelayMs = 15 * 60_000,
    maxKeys = 10_000,
  ) {
    this.failures = new BoundedMap(maxKeys);
  }

  private delayFor(count: number): number {
    if (count < this.freeFailures) return 0;
    return Math.min(this.maxDelayMs, 1000 * 2 ** (count - this.freeFailures));
  }

  check(key: string): Verdict {
    const entry = this.failures.get(key);
    if (!entry) return OK;
    const wait = entry.last + this.delayFor(entry.count) - this.clock.now();
    return wait > 0 ? { ok: false, retryAfter: Math.ceil(wait / 1000) } : OK;
  }

  fail(key: string): void {
    const entry = this.failures.get(key);
    this.failures.set(key, { count: (entry?.count ?? 0) + 1, last: this.clock.now() });
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }
}

/** "Try again in 3 minutes." */
export function describeWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
