/** One printed line of the table: a figure, and the goal it is held against when there is one. */
export interface Row {
  figure: string;
  value: string;
  goal?: string;
  /** Undefined when the row has no goal. */
  met?: boolean;
  /** A timing goal: printed and held by the benchmark run, never asserted by a test (the machine's load moves it). */
  timed?: boolean;
}

/** One section's rows for the table and its raw figures for the JSON file. */
export interface SectionResult {
  id: string;
  title: string;
  rows: Row[];
  figures: Record<string, unknown>;
  /** Why the section could not run in full (a missing tool), said instead of silently dropping rows. */
  notes?: string[];
}

export function row(figure: string, value: string, goal?: { text: string; met: boolean; timed?: boolean }): Row {
  if (!goal) return { figure, value };
  return { figure, value, goal: goal.text, met: goal.met, ...(goal.timed && { timed: true }) };
}

export function printTable(sections: readonly SectionResult[]): void {
  const width = Math.max(...sections.flatMap((s) => s.rows.map((r) => r.figure.length)), 20);
  for (const section of sections) {
    console.log(`\n${section.title}`);
    for (const r of section.rows) {
      const verdict = r.met === undefined ? '' : r.met ? `  ✓ goal ${r.goal}` : `  ✗ goal ${r.goal}`;
      console.log(`  ${r.figure.padEnd(width)}  ${r.value}${verdict}`);
    }
    for (const note of section.notes ?? []) console.log(`  note: ${note}`);
  }
}
