/** A failure as a report needs it: the error's name and the first words of its message and cause (never a token). */
export function described(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `; cause: ${error.cause.message.slice(0, 160)}` : '';
  return `${error.name}: ${error.message.slice(0, 160)}${cause}`;
}

/** A failure's name alone, for counting failures by kind. */
export const errorName = (error: unknown): string => (error instanceof Error ? error.name : String(error));
