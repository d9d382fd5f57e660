/** One line of the doctor's report: `fix` says what to do when the check is not `ok`. */
export interface Check {
  name: string;
  outcome: 'ok' | 'problem' | 'skipped';
  detail: string;
  fix?: string;
}
