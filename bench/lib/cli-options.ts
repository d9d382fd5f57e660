import { InvalidArgumentError } from 'commander';

/** A commander parser for flags that take a count. */
export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
}

/** A commander parser for a comma-separated subset of `known`, each normalised by `normalise`. */
export function subsetOf<T extends string>(known: readonly T[], noun: string, normalise = (name: string) => name) {
  return (value: string): T[] => {
    const names = value.split(',').map((name) => normalise(name.trim()));
    const unknown = names.filter((name) => !(known as readonly string[]).includes(name));
    if (unknown.length) {
      throw new InvalidArgumentError(`unknown ${noun} ${unknown.join(', ')}; choose from ${known.join(', ')}`);
    }
    return names as T[];
  };
}
