/** A failure as a report needs it: the error's name and the first words of its message and cause (never a token). */
export function described(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `; cause: ${error.cause.message.slice(0, 160)}` : '';
  return `${error.name}: ${error.message.slice(0, 160)}${cause}`;
}
