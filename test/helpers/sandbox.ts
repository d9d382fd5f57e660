import type { StartSandboxOptions } from '../../src/sandbox/plum-sandbox';
import { PlumSandbox } from '../../src/sandbox/plum-sandbox';
import type { PlumCredentials } from '../../src/plum/client';
import type { SeededCompany } from '../../src/sandbox/store';

let counter = 0;

/** A company id unique within this process, so tests sharing a sandbox never collide. */
export function uniqueCompanyId(prefix = 'co'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

export function credentialsOf(seeded: SeededCompany): PlumCredentials {
  return { clientId: seeded.clientId, clientSecret: seeded.clientSecret };
}

export async function startSandbox(options: StartSandboxOptions = {}): Promise<PlumSandbox> {
  return PlumSandbox.start(options);
}

/** A hand-moved clock for sandbox tests that cross expiries and grace windows without waiting. */
export class ManualClock {
  constructor(public time = Date.UTC(2026, 0, 1)) {}
  readonly now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}
