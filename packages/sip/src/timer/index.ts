export type { Clock, ClockDriven } from "./clock.js";
export { FakeClock, systemClock } from "./clock.js";
export type { TimerHandle, TimerTarget, TimerWheelOptions } from "./timer-wheel.js";
export { TimerWheel } from "./timer-wheel.js";
