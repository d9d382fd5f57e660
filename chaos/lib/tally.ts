/** Cases tried against one entry point, and those whose outcome was not a clear, typed answer. */
export class Tally {
  cases = 0;
  unclear = 0;
  readonly examples: string[] = [];

  constructor(readonly target: string) {}

  /** Records one case; `problem` is undefined when the outcome was clear. */
  record(problem: string | undefined): void {
    this.cases += 1;
    if (problem === undefined) return;
    this.unclear += 1;
    if (this.examples.length < 3) this.examples.push(problem.slice(0, 200));
  }
}

/** Names the problem with a message when it is not clear: empty, a stack trace, a bare built-in error, a secret. */
export function unclearMessage(error: unknown, secrets: readonly string[]): string | undefined {
  if (!(error instanceof Error)) return `threw a non-error: ${String(error).slice(0, 80)}`;
  if (['Error', 'TypeError', 'SyntaxError', 'RangeError'].includes(error.name))
    return `bare ${error.name}: ${error.message}`;
  if (!error.message.trim()) return `${error.name} with no message`;
  if (/\n\s+at .+:\d+:\d+/.test(error.message)) return `${error.name} carries a stack trace`;
  const leaked = secrets.find((secret) => secret.length >= 8 && error.message.includes(secret));
  if (leaked) return `${error.name} quotes a secret`;
  return undefined;
}
