// Invariant: a RateMeter's total counts every event, and its rate is the events of the last window
// (one-second slots) divided by the time that window covers — or by the time since the meter was
// made, while that is shorter — so that old events drop out and a quiet source reads 0.
import { expect, test } from "vitest";
import { RateMeter } from "../../../runtime/api/index.ts";

function clockAt(start: number) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

test("the rate covers the time since the meter was made until the window is full", () => {
  const clock = clockAt(1_000_000);
  const meter = new RateMeter({ windowSeconds: 10, now: clock.read });
  expect(meter.perSecond()).toBe(0);
  meter.record(50);
  clock.now += 500;
  expect(meter.perSecond()).toBe(100);
  clock.now += 1_500;
  meter.record(150);
  expect(meter.perSecond()).toBe(100);
  expect(meter.total).toBe(200);
});

test("events older than the window drop out of the rate but stay in the total", () => {
  const clock = clockAt(2_000_000);
  const meter = new RateMeter({ windowSeconds: 10, now: clock.read });
  meter.record(1_000);
  clock.now += 5_000;
  meter.record(100);
  clock.now += 7_500; // the first second is out of the window, the 100 are in it
  // The window is 9 whole seconds and the half of the current one.
  expect(meter.perSecond()).toBeCloseTo(100 / 9.5);
  clock.now += 60_000;
  expect(meter.perSecond()).toBe(0);
  expect(meter.total).toBe(1_100);
  meter.record(30);
  clock.now += 1_000;
  expect(meter.perSecond()).toBeCloseTo(30 / 9.5);
});
