import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

/** CPU seconds used so far and resident memory of a Linux process, from /proc. */
export function processUsage(pid: number): { cpuSeconds: number; rssBytes: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command name: utime is the 12th, stime the 13th, rss (pages) the 22nd.
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
    return { cpuSeconds, rssBytes: Number(fields[21]) * PAGE_BYTES };
  } catch {
    return undefined;
  }
}

/** Share of one core each process used between `start()` and `stop()`. */
export function cpuMeter(pids: Record<string, number | undefined>) {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid && processUsage(pid)]));
  const startedAt = Date.now();
  return {
    stop(): Record<string, number> {
      const seconds = (Date.now() - startedAt) / 1000;
      const shares: Record<string, number> = {};
      for (const [name, pid] of Object.entries(pids)) {
        const then = before[name];
        const now = pid && processUsage(pid);
        if (then && now) shares[name] = Math.round(((now.cpuSeconds - then.cpuSeconds) / seconds) * 100) / 100;
      }
      return shares;
    },
  };
}

export const mebibytes = (bytes: number): number => Math.round(bytes / 2 ** 20);
