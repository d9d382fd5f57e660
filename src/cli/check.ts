/** One line of the doctor's report: `fix` says what to do when the check is not `ok`. */
export interface Check {
  name: string;
  outcome: 'ok' | 'problem' | 'skipped';
  detail: string;
  fix?: string;
}

/** The first line of an error's message: what a check's detail quotes. */
export const firstLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
