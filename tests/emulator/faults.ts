/** How an injected fault disturbs a request. */
export type FaultKind = 'throttle' | 'server-error' | 'slow' | 'drop';

export interface FaultOptions {
  readonly kind: FaultKind;
  /** How many matching requests the fault applies to; Infinity for all. Defaults to 1. */
  readonly times?: number;
  /** Delay before the reply, for kind 'slow'. Defaults to 5000 ms. */
  readonly delayMs?: number;
}

interface PendingFault {
  readonly kind: FaultKind;
  remaining: number;
  readonly delayMs: number;
}

/**
 * Faults waiting to be applied, by operation name. Faults on one operation apply in
 * the order they were injected; '*' matches every operation after the specific ones.
 */
export class FaultPlan {
  private readonly pending = new Map<string, PendingFault[]>();

  inject(operation: string, options: FaultOptions): void {
    const times = options.times ?? 1;
    if (!(times > 0)) {
      throw new Error(`Fault 'times' must be a positive number or Infinity, got ${times}`);
    }

    const queue = this.pending.get(operation) ?? [];
    queue.push({ kind: options.kind, remaining: times, delayMs: options.delayMs ?? 5_000 });
    this.pending.set(operation, queue);
  }

  /** Takes the next fault for an operation, counting it as used, or returns undefined. */
  take(operation: string): { kind: FaultKind; delayMs: number } | undefined {
    for (const key of [operation, '*']) {
      const queue = this.pending.get(key);
      const fault = queue?.[0];
      if (queue && fault) {
        fault.remaining -= 1;
        if (fault.remaining <= 0) {
          queue.shift();
        }
        return { kind: fault.kind, delayMs: fault.delayMs };
      }
    }
    return undefined;
  }

  clear(): void {
    this.pending.clear();
  }
}
