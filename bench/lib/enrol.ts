import type { TokenKeeperClient } from '../../src/client';
import type { SeededCompany } from '../../src/sandbox/store';
import { inParallel } from './stats';

/** Enrols every seeded company with at most `concurrency` enrolments in flight; returns companies per second. */
export async function enrolAll(
  keeper: TokenKeeperClient,
  seeded: ReadonlyMap<string, SeededCompany>,
  concurrency: number,
): Promise<number> {
  const started = Date.now();
  await inParallel([...seeded.values()], concurrency, async (company) => {
    await keeper.enrol(company.companyId, company.tokens);
  });
  return seeded.size / ((Date.now() - started) / 1000);
}

export const companyIds = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
