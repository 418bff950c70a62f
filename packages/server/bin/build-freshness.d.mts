/** Whether every package's compiled dist/ under `packagesDir` is at least as new as its src/. */
export function compiledIsCurrent(packagesDir: string): boolean;
