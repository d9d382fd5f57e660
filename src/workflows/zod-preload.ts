import { z } from 'zod';

// Preloaded once per worker and shared by every workflow (`src/worker/workflow-bundle.ts`). zod writes its defaults
// (locale, memoizer) into a global the first time it builds a schema and a container; building and using a small
// schema here sets them before the SDK freezes what the preload evaluated, so no workflow writes to a frozen global.
z.object({ list: z.array(z.union([z.string(), z.number()])) })
  .transform((value) => value.list.length)
  .safeParse({ list: ['a', 1] });
