import type { CompanySummary, TokenKeeperClient } from '../client/token-keeper-client';
import { ALERT_STATES } from '../contract';

/** How long one `status` query may take before the reasons are given up (no worker answers queries). */
const QUERY_DEADLINE_MS = 5000;
const CONCURRENT_QUERIES = 8;

/** A row of `plum-keeper list`, with why a company that needs attention is in its state. */
export type ListedCompany = CompanySummary & { reason?: string };

const deadline = (ms: number) =>
  new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer')), ms).unref());

/**
 * Adds each failing company's reason (visibility holds the status only), from its keeper's `status` query. The first
 * query without an answer means no worker runs: the rest are not asked, and their reason says so.
 */
export async function withReasons(keeper: TokenKeeperClient, rows: CompanySummary[]): Promise<ListedCompany[]> {
  const failing = rows.filter((row) => (ALERT_STATES as readonly string[]).includes(row.status ?? ''));
  const reasons = new Map<string, string>();
  let answering = true;
  const ask = async (row: CompanySummary) => {
    if (!answering) return;
    try {
      const status = await Promise.race([keeper.status(row.companyId), deadline(QUERY_DEADLINE_MS)]);
      reasons.set(row.companyId, status.reason ?? 'none given');
    } catch {
      answering = false;
    }
  };
  for (let i = 0; i < failing.length; i += CONCURRENT_QUERIES) {
    await Promise.all(failing.slice(i, i + CONCURRENT_QUERIES).map(ask));
  }
  const unknown = 'unknown: no worker answered (plum-keeper doctor)';
  return rows.map((row) => (failing.includes(row) ? { ...row, reason: reasons.get(row.companyId) ?? unknown } : row));
}
