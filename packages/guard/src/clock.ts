/** Milliseconds since some epoch; tests pass a fake one so windows and bans can be stepped through. */
export type Now = () => number;

export const systemNow: Now = () => Date.now();

/** A clock for tests: time moves only when told to. */
export class FakeClock {
  constructor(public ms = 1_000_000) {}
  readonly now: Now = () => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}
