import { z } from 'zod';

/**
 * Evaluated once per workflow thread, and shared by every workflow it runs (the bundle's
 * `preloadModules`, worker/workflow-bundle.ts). In the SDK's reusable V8 context each workflow
 * otherwise evaluates every module it imports afresh: zod alone was about half of the heap a cached
 * workflow's modules hold, and of the time its first task or a replay spends evaluating them
 * (`npm run bench:workflow-footprint`, bench/RESULTS.md). The SDK deep-freezes what it shares, which zod's own
 * module state survives and zod's schemas do not (they bind their methods on first use): the schemas
 * stay in each workflow's modules.
 *
 * The export keeps the bundler from dropping zod from this module: zod declares itself free of side
 * effects, so an import whose value nothing uses is removed.
 */
export const sharedZod = z;

// zod writes its default locale and memoizer into its global config when it builds its first schema
// (and its first object schema): built here, before the SDK freezes what is shared, or the first
// workflow to build one fails with "Cannot add property localeError, object is not extensible".
z.object({ warmUp: z.array(z.string()) }).safeParse({});
