/** The sandbox endpoints, named as the counters and fault queues know them. */
export const SANDBOX_ENDPOINTS = ['refresh', 'createUserToken', 'validate', 'api'] as const;
export type SandboxEndpoint = (typeof SANDBOX_ENDPOINTS)[number];

/** One of the four error-body shapes of docs/plum-api.md, answered instead of the real outcome. */
export type ErrorShapeFault =
  | { kind: 'oauth'; error: string; status?: number }
  | { kind: 'legacy'; status?: number }
  | { kind: 'application'; errorId: string; status?: number }
  | { kind: 'rateLimit'; penaltySeconds?: number; flat?: boolean; status?: number; retryAfterSeconds?: number };

/** A fault to inject into the next call(s) of one endpoint. */
export type Fault = { times?: number } & (
  | { kind: 'latency'; ms: number }
  /** Plum never sees the call (a load balancer with no backend): the connection hangs `ms`, then is cut. */
  | { kind: 'unreachable'; ms: number }
  | { kind: 'hold' }
  | { kind: 'serverError'; status?: number }
  | { kind: 'resetBeforeCommit' }
  | { kind: 'resetAfterCommit' }
  | { kind: 'dropAfterCommit' }
  | { kind: 'malformed'; body?: string }
  | { kind: 'reply'; status: number; body: string; headers?: Record<string, string> }
  | ErrorShapeFault
);

/** Faults that let the call take effect and then spoil the reply. */
export const AFTER_COMMIT_FAULTS = new Set<Fault['kind']>(['resetAfterCommit', 'dropAfterCommit', 'malformed']);

/** FIFO queues of faults per endpoint; each fault applies `times` calls (default 1) and is then gone. */
export class FaultQueues {
  private readonly queues = new Map<SandboxEndpoint, Fault[]>();

  inject(endpoint: SandboxEndpoint, fault: Fault): void {
    const queue = this.queues.get(endpoint) ?? [];
    queue.push({ ...fault, times: fault.times ?? 1 });
    this.queues.set(endpoint, queue);
  }

  /** Takes the fault that applies to the next call of `endpoint`, if any. */
  take(endpoint: SandboxEndpoint): Fault | undefined {
    const queue = this.queues.get(endpoint);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.times = (head.times ?? 1) - 1;
    if (head.times <= 0) queue.shift();
    return head;
  }

  clear(): void {
    this.queues.clear();
  }
}
